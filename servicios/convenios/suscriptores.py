"""Qué tipo de evento va a qué caso de uso en convenios."""

from functools import partial

from esquemas.capacitacion import SesionCancelada, SesionCompletada
from esquemas.ingreso import (
    PATRON_TOPICO,
    ReporteActividad,
    ReporteConvenioCancelado,
    ReporteConvenioFirmado,
    ReporteConvenioModificado,
    ReporteEvidenciaEnviada,
    ReporteEvidenciaRevisada,
)
from servicios.convenios import avance, casos_de_uso
from servicios.convenios.config import AjustesConvenios

PATRON = rf"^(?:{PATRON_TOPICO}|alva\.capacitacion)$"


def reacciones(ajustes: AjustesConvenios) -> dict:
    return {
        ReporteConvenioFirmado.tipo: partial(casos_de_uso.registrar_convenio, otorgantes=ajustes.otorgantes),
        ReporteConvenioModificado.tipo: casos_de_uso.modificar_convenio,
        ReporteConvenioCancelado.tipo: casos_de_uso.cancelar_convenio,
        ReporteActividad.tipo: avance.registrar_actividad,
        ReporteEvidenciaEnviada.tipo: avance.recibir_evidencia,
        ReporteEvidenciaRevisada.tipo: avance.revisar_evidencia,
        SesionCompletada.tipo: avance.contar_sesion,
        SesionCancelada.tipo: avance.descontar_sesion,
    }
