"""Qué tipo de evento va a qué caso de uso en notificaciones."""

from functools import partial

from esquemas.catalogo import tipo_de
from esquemas.convenios import ConvenioFirmado
from esquemas.distintivos import DistintivoOtorgado
from servicios.notificaciones import casos_de_uso
from servicios.notificaciones.config import AjustesNotificaciones

PATRON = r"^alva\.(?:convenios|distintivos)$"


def reacciones(ajustes: AjustesNotificaciones) -> dict:
    return {
        tipo_de(ConvenioFirmado).nombre: partial(casos_de_uso.avisar_convenio_firmado, operadores=ajustes.operadores),
        tipo_de(DistintivoOtorgado).nombre: partial(casos_de_uso.avisar_distintivo_otorgado,
                                                    operadores=ajustes.operadores),
    }
