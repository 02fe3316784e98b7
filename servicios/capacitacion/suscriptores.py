"""Qué tipo de evento va a qué caso de uso en capacitación."""

from esquemas.convenios import ConvenioCancelado, ConvenioFirmado
from esquemas.ingreso import (
    PATRON_TOPICO,
    ReporteSesionCancelada,
    ReporteSesionCompletada,
    ReporteSesionCorregida,
    ReporteSesionProgramada,
)
from servicios.capacitacion import casos_de_uso

PATRON = rf"^(?:{PATRON_TOPICO}|alva\.convenios)$"

REACCIONES = {
    ConvenioFirmado.tipo: casos_de_uso.conocer_convenio,
    ConvenioCancelado.tipo: casos_de_uso.olvidar_convenio,
    ReporteSesionProgramada.tipo: casos_de_uso.programar_sesion,
    ReporteSesionCompletada.tipo: casos_de_uso.reportar_sesion,
    ReporteSesionCorregida.tipo: casos_de_uso.corregir_sesion,
    ReporteSesionCancelada.tipo: casos_de_uso.cancelar_sesion,
}
