"""Qué tipo de evento va a qué caso de uso en convenios, y qué necesita cargado cada uno."""

from functools import partial

from esquemas.capacitacion import TOPICO as CAPACITACION, SesionCancelada, SesionCompletada
from esquemas.convenios import TOPICO as CONVENIOS
from esquemas.ingreso import (
    ReporteActividad,
    ReporteConvenioCancelado,
    ReporteConvenioFirmado,
    ReporteConvenioModificado,
    ReporteEvidenciaEnviada,
    ReporteEvidenciaRevisada,
)
from esquemas.rechazos import TOPICO as RECHAZOS
from plataforma.consumo import Reaccion
from plataforma.servicio import patron
from servicios.convenios import avance, casos_de_uso
from servicios.convenios.config import AjustesConvenios
from servicios.convenios.repositorio import necesita

PATRON = patron(CAPACITACION, ingresos=True)
PUBLICA = (CONVENIOS, RECHAZOS)


def reacciones(ajustes: AjustesConvenios) -> dict[str, Reaccion]:
    return {
        ReporteConvenioFirmado.tipo: Reaccion(
            ReporteConvenioFirmado, partial(casos_de_uso.registrar_convenio, otorgantes=ajustes.otorgantes),
            lambda d, _: necesita(d.convenio_id)),
        ReporteConvenioModificado.tipo: Reaccion(ReporteConvenioModificado, casos_de_uso.modificar_convenio,
                                                 lambda d, _: necesita(d.convenio_id, todo=True)),
        ReporteConvenioCancelado.tipo: Reaccion(ReporteConvenioCancelado, casos_de_uso.cancelar_convenio,
                                                lambda d, _: necesita(d.convenio_id)),
        ReporteActividad.tipo: Reaccion(ReporteActividad, avance.registrar_actividad,
                                        lambda d, _: necesita(d.convenio_id, origen=f"actividad:{d.actividad_id}")),
        ReporteEvidenciaEnviada.tipo: Reaccion(ReporteEvidenciaEnviada, avance.recibir_evidencia,
                                               lambda d, _: necesita(d.convenio_id, evidencia=d.evidencia_id)),
        ReporteEvidenciaRevisada.tipo: Reaccion(
            ReporteEvidenciaRevisada, avance.revisar_evidencia,
            lambda d, _: necesita(d.convenio_id, evidencia=d.evidencia_id, origen=f"evidencia:{d.evidencia_id}")),
        SesionCompletada.tipo: Reaccion(
            SesionCompletada, avance.contar_sesion,
            lambda d, _: necesita(d.convenio_id, origen=f"sesion:{d.sesion_id}",
                                  unidades={f"persona:{a}" for a in d.asistentes})),
        SesionCancelada.tipo: Reaccion(SesionCancelada, avance.descontar_sesion,
                                       lambda d, _: necesita(d.convenio_id, origen=f"sesion:{d.sesion_id}")),
    }
