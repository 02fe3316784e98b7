"""Qué tipo de evento va a qué caso de uso en capacitación."""

from esquemas.catalogo import tipo_de
from esquemas.convenios import ConvenioFirmado
from esquemas.ingreso import PATRON_TOPICO, ReporteSesionCompletada
from servicios.capacitacion import casos_de_uso

PATRON = rf"^(?:{PATRON_TOPICO}|alva\.convenios)$"

REACCIONES = {
    tipo_de(ConvenioFirmado).nombre: casos_de_uso.conocer_convenio,
    tipo_de(ReporteSesionCompletada).nombre: casos_de_uso.reportar_sesion,
}
