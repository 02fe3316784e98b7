"""Qué tipo de evento va a qué caso de uso en notificaciones."""

from functools import partial

from esquemas.convenios import ConvenioFirmado, EvidenciaRechazada, ObjetivoCumplido
from esquemas.distintivos import DistintivoOtorgado, DistintivoRevocado, DistintivoVencido
from esquemas.rechazos import EntradaRechazada
from servicios.notificaciones import casos_de_uso as cu
from servicios.notificaciones.config import AjustesNotificaciones

PATRON = r"^alva\.(?:convenios|distintivos|rechazos)$"


def reacciones(ajustes: AjustesNotificaciones) -> dict:
    casos = {
        ConvenioFirmado: cu.convenio_firmado,
        ObjetivoCumplido: cu.objetivo_cumplido,
        EvidenciaRechazada: cu.evidencia_rechazada,
        DistintivoOtorgado: cu.distintivo_otorgado,
        DistintivoVencido: cu.distintivo_vencido,
        DistintivoRevocado: cu.distintivo_revocado,
        EntradaRechazada: cu.reporte_rechazado,
    }
    return {modelo.tipo: partial(caso, ajustes=ajustes) for modelo, caso in casos.items()}
