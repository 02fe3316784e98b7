"""Qué tipo de evento va a qué caso de uso en distintivos."""

from functools import partial

from esquemas.catalogo import tipo_de
from esquemas.convenios import ConvenioFirmado, ObjetivoCumplido
from servicios.distintivos import casos_de_uso
from servicios.distintivos.config import AjustesDistintivos

PATRON = r"^alva\.(?:convenios|capacitacion)$"


def reacciones(ajustes: AjustesDistintivos) -> dict:
    return {
        tipo_de(ConvenioFirmado).nombre: partial(casos_de_uso.seguir_convenio, programas=ajustes.programas),
        tipo_de(ObjetivoCumplido).nombre: partial(casos_de_uso.anotar_objetivo_cumplido, programas=ajustes.programas),
    }
