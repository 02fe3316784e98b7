"""Qué tipo de evento va a qué caso de uso en capacitación, y qué necesita cargado cada uno."""

from esquemas.capacitacion import TOPICO as CAPACITACION, TOPICO_CONSTANCIAS
from esquemas.convenios import TOPICO as CONVENIOS, ConvenioCancelado, ConvenioFirmado
from esquemas.ingreso import (
    ReporteSesionCancelada,
    ReporteSesionCompletada,
    ReporteSesionCorregida,
    ReporteSesionProgramada,
)
from esquemas.rechazos import TOPICO as RECHAZOS
from plataforma.consumo import Reaccion
from plataforma.servicio import patron
from servicios.capacitacion import casos_de_uso as cu
from servicios.capacitacion.repositorio import necesita

PATRON = patron(CONVENIOS, ingresos=True)
PUBLICA = (CAPACITACION, TOPICO_CONSTANCIAS, RECHAZOS)


def _de_sesion(reporte, institucion: str):
    return necesita(reporte.convenio_id, (institucion, reporte.sesion_id))


REACCIONES = {
    ConvenioFirmado.tipo: Reaccion(ConvenioFirmado, cu.conocer_convenio, lambda d, _: necesita(d.convenio_id)),
    ConvenioCancelado.tipo: Reaccion(ConvenioCancelado, cu.olvidar_convenio, lambda d, _: necesita(d.convenio_id)),
    ReporteSesionProgramada.tipo: Reaccion(ReporteSesionProgramada, cu.programar_sesion, _de_sesion),
    ReporteSesionCompletada.tipo: Reaccion(ReporteSesionCompletada, cu.reportar_sesion, _de_sesion),
    ReporteSesionCorregida.tipo: Reaccion(ReporteSesionCorregida, cu.corregir_sesion, _de_sesion),
    ReporteSesionCancelada.tipo: Reaccion(ReporteSesionCancelada, cu.cancelar_sesion, _de_sesion),
}
