"""Qué tipo de evento va a qué caso de uso en distintivos."""

from functools import partial

from esquemas.capacitacion import SesionCancelada, SesionCompletada
from esquemas.convenios import ConvenioCancelado, ConvenioFirmado, ConvenioModificado, ObjetivoCumplido, ObjetivoRevertido
from esquemas.ingreso import PATRON_TOPICO, ReporteDistintivoRevocado
from servicios.distintivos import casos_de_uso as cu
from servicios.distintivos.emision import Motor

PATRON = rf"^(?:{PATRON_TOPICO}|alva\.convenios|alva\.capacitacion)$"


def reacciones(motor: Motor) -> dict:
    casos = {
        ConvenioFirmado: cu.seguir_convenio,
        ConvenioModificado: cu.cambiar_objetivos,
        ConvenioCancelado: cu.cerrar_convenio,
        ObjetivoCumplido: cu.anotar_objetivo_cumplido,
        ObjetivoRevertido: cu.anotar_objetivo_revertido,
        SesionCompletada: cu.anotar_sesion,
        SesionCancelada: cu.quitar_sesion,
        ReporteDistintivoRevocado: cu.revocar_por_operador,
    }
    return {modelo.tipo: partial(caso, motor=motor) for modelo, caso in casos.items()}
