"""Qué tipo de evento va a qué caso de uso en convenios."""

from functools import partial

from esquemas.capacitacion import SesionCompletada
from esquemas.catalogo import tipo_de
from esquemas.ingreso import PATRON_TOPICO, ReporteConvenioFirmado
from servicios.convenios import casos_de_uso
from servicios.convenios.config import AjustesConvenios

PATRON = rf"^(?:{PATRON_TOPICO}|alva\.capacitacion)$"


def reacciones(ajustes: AjustesConvenios) -> dict:
    return {
        tipo_de(ReporteConvenioFirmado).nombre: partial(casos_de_uso.registrar_convenio, otorgantes=ajustes.otorgantes),
        tipo_de(SesionCompletada).nombre: casos_de_uso.contar_sesion,
    }
