"""Qué tipo de evento va a qué caso de uso en distintivos, y qué necesita cargado cada uno."""

from functools import partial

from esquemas.capacitacion import TOPICO as CAPACITACION, SesionCancelada, SesionCompletada
from esquemas.convenios import (
    TOPICO as CONVENIOS,
    ConvenioCancelado,
    ConvenioFirmado,
    ConvenioModificado,
    ObjetivoAvanzado,
    ObjetivoCumplido,
    ObjetivoRevertido,
)
from esquemas.distintivos import TOPICO as DISTINTIVOS, DistintivoOtorgado, ListaEstadoPublicada
from esquemas.ingreso import ReporteDistintivoRevocado
from esquemas.rechazos import TOPICO as RECHAZOS
from plataforma.consumo import Reaccion
from plataforma.servicio import patron
from servicios.distintivos import casos_de_uso as cu
from servicios.distintivos.dominio import id_distintivo, periodo
from servicios.distintivos.emision import Motor
from servicios.distintivos.repositorio import necesita

PATRON = patron(CONVENIOS, CAPACITACION, ingresos=True)
PUBLICA = (DISTINTIVOS, RECHAZOS)


def _del_convenio(datos, institucion):
    return necesita(datos.convenio_id, institucion=institucion)


def _firmado(datos, institucion):
    """El convenio nuevo, todo lo suyo ya visto (sesiones que llegaron antes) y el distintivo que tendría."""
    necesidades = necesita(datos.convenio_id, institucion=institucion, todo=True)
    periodo_ = periodo(datos.vigencia.inicio, datos.vigencia.fin)
    necesidades["distintivos"] = {(id_distintivo(datos.programa, datos.convenio_id, periodo_),)}
    return necesidades


def reacciones(motor: Motor) -> dict[str, Reaccion]:
    contadas = motor.cuenta_sesiones()  # si no, una sesión no necesita a sus asistentes cargados
    casos = {
        ConvenioFirmado: (cu.seguir_convenio, _firmado),
        ConvenioModificado: (cu.cambiar_objetivos, _del_convenio),
        ConvenioCancelado: (cu.cerrar_convenio, _del_convenio),
        ObjetivoAvanzado: (cu.anotar_avance, _del_convenio),
        ObjetivoCumplido: (cu.anotar_objetivo_cumplido, _del_convenio),
        ObjetivoRevertido: (cu.anotar_objetivo_revertido, _del_convenio),
        SesionCompletada: (cu.anotar_sesion, lambda d, i: necesita(d.convenio_id, institucion=i, sesion=d.sesion_id,
                                                                   personas=set(d.asistentes) if contadas else set())),
        SesionCancelada: (cu.quitar_sesion, lambda d, i: necesita(d.convenio_id, institucion=i, sesion=d.sesion_id)),
        ReporteDistintivoRevocado: (cu.revocar_por_operador, lambda d, _: necesita(distintivo=d.distintivo_id)),
    }
    return {modelo.tipo: Reaccion(modelo, partial(caso, motor=motor), necesidades)
            for modelo, (caso, necesidades) in casos.items()}


# Sólo al reconstruir, de su propio tópico: la credencial y la lista tal como se publicaron.
PROPIAS = {
    DistintivoOtorgado.tipo: Reaccion(DistintivoOtorgado, cu.aprender_otorgado,
                                      lambda d, i: necesita(d.convenio_id, institucion=i, distintivo=d.distintivo_id)),
    ListaEstadoPublicada.tipo: Reaccion(ListaEstadoPublicada, cu.aprender_lista),
}
