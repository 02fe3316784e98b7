"""Reportes que las instituciones (y el otorgante, con su propio id) escriben en su tópico de ingreso."""

from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import ClassVar

from pydantic import Field, model_validator

from esquemas.comun import (
    AsistenteId,
    Contacto,
    Evento,
    Firmante,
    Identificador,
    Indicador,
    Institucion,
    Modalidad,
    Objetivo,
    Slug,
    Vigencia,
)

INDICADORES_DE_ACTIVIDAD = (Indicador.asesorias_brindadas, Indicador.campanas_realizadas, Indicador.material_distribuido)

PREFIJO_TOPICO = "alva.ingreso."
TOPICO = PREFIJO_TOPICO + "{institucion}"
PATRON_TOPICO = r"alva\.ingreso\.[a-z0-9]+(?:-[a-z0-9]+)*"


def topico_ingreso(institucion: str) -> str:
    """El tópico donde escribe una institución; su nombre dice quién envía."""
    return PREFIJO_TOPICO + institucion


@lru_cache(maxsize=4096)
def institucion_del_topico(topico: str) -> str | None:
    """La institución cuyo ingreso es `topico` (None si no es un ingreso; su DLQ tampoco lo es). Se pregunta por
    cada registro consumido, y los tópicos son pocos: una vez cada uno."""
    if not topico.startswith(PREFIJO_TOPICO) or topico.endswith(".dlq"):
        return None
    return topico.removeprefix(PREFIJO_TOPICO)


class ReporteConvenioFirmado(Evento):
    """El otorgante reporta un convenio firmado con una institución, con sus objetivos."""

    tipo = "mx.alva.ingreso.convenio.firmado.v1"

    convenio_id: Identificador
    programa: str = Field(pattern=r"^[A-Z0-9-]{2,30}$", examples=["ALVA"])
    otorgante: Slug = Field(examples=["prodheg"])
    institucion: Institucion
    firmantes: list[Firmante] = Field(min_length=1)
    fecha_firma: date = Field(examples=["2025-03-04"])
    vigencia: Vigencia
    objetivos: list[Objetivo] = Field(min_length=1)
    contactos: list[Contacto] = Field(default_factory=list)


class ReporteConvenioModificado(Evento):
    """El otorgante cambia los objetivos de un convenio (la lista completa); los ya cumplidos no cambian."""

    tipo = "mx.alva.ingreso.convenio.modificado.v1"

    convenio_id: Identificador
    objetivos: list[Objetivo] = Field(min_length=1)
    motivo: str = Field(min_length=3, max_length=500, examples=["Se agrega la actualización del protocolo"])


class ReporteConvenioCancelado(Evento):
    """El otorgante cancela un convenio, con su motivo."""

    tipo = "mx.alva.ingreso.convenio.cancelado.v1"

    convenio_id: Identificador
    motivo: str = Field(min_length=3, max_length=500, examples=["La institución solicitó darlo por terminado"])
    fecha: date


class ReporteSesionProgramada(Evento):
    """La institución anuncia una sesión de capacitación."""

    tipo = "mx.alva.ingreso.sesion.programada.v1"

    sesion_id: Identificador = Field(description="Id de la sesión en el sistema de la institución.")
    convenio_id: Identificador
    tema: str = Field(min_length=3, max_length=300, examples=["Cero tolerancia al hostigamiento y acoso sexual"])
    modalidad: Modalidad
    fecha: date = Field(examples=["2025-04-10"])
    horas: float = Field(gt=0, le=24, examples=[3])
    facilitador: str = Field(min_length=2, max_length=200, examples=["PRODHEG, Dirección de Capacitación"])


class ReporteSesionCompletada(ReporteSesionProgramada):
    """La institución reporta una sesión de capacitación impartida, con sus asistentes seudónimos."""

    tipo = "mx.alva.ingreso.sesion.completada.v1"
    codigos_de_error: ClassVar[dict[tuple[str, str], str]] = {("asistentes", "too_short"): "sin_asistentes",
                                                              ("asistentes", "too_long"): "demasiados_asistentes"}

    asistentes: list[AsistenteId] = Field(min_length=1, max_length=5000)


class ReporteSesionCorregida(ReporteSesionCompletada):
    """La institución corrige una sesión ya completada (la versión completa, no sólo lo que cambia)."""

    tipo = "mx.alva.ingreso.sesion.corregida.v1"

    motivo: str = Field(min_length=3, max_length=500, examples=["Faltaba una asistente en la lista"])


class ReporteSesionCancelada(Evento):
    """La institución cancela una sesión, programada o ya completada."""

    tipo = "mx.alva.ingreso.sesion.cancelada.v1"

    sesion_id: Identificador
    convenio_id: Identificador
    motivo: str = Field(min_length=3, max_length=500, examples=["Se registró por error"])


class ReporteActividad(Evento):
    """La institución reporta asesorías, campañas o material distribuido, con su cantidad."""

    tipo = "mx.alva.ingreso.actividad.realizada.v1"

    actividad_id: Identificador
    convenio_id: Identificador
    indicador: Indicador = Field(description="asesorias_brindadas, campanas_realizadas o material_distribuido.",
                                 examples=["campanas_realizadas"])
    cantidad: float = Field(gt=0, examples=[1])
    fecha: date
    descripcion: str = Field(min_length=3, max_length=500, examples=["Campaña ÚNETE del 25 de noviembre"])
    tema: str | None = Field(default=None, max_length=300)
    modalidad: Modalidad | None = None

    @model_validator(mode="after")
    def _de_actividad(self) -> "ReporteActividad":
        if self.indicador not in INDICADORES_DE_ACTIVIDAD:
            raise ValueError(f"el indicador {self.indicador} no se reporta como actividad")
        return self


class ReporteEvidenciaEnviada(Evento):
    """La institución entrega evidencia de un objetivo que no se cuenta solo (p. ej. un protocolo actualizado)."""

    tipo = "mx.alva.ingreso.evidencia.enviada.v1"

    evidencia_id: Identificador
    convenio_id: Identificador
    objetivo_id: Identificador
    descripcion: str = Field(min_length=3, max_length=1000, examples=["Protocolo para prevenir el hostigamiento, 2025"])
    documento: str = Field(
        min_length=8, max_length=500,
        description="Referencia (URL interna, folio) o hash del documento; nunca el documento.",
        examples=["sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    )


class Dictamen(StrEnum):
    aprobada = "aprobada"
    rechazada = "rechazada"


class ReporteEvidenciaRevisada(Evento):
    """Una persona operadora del otorgante aprueba o rechaza (con motivo) una evidencia."""

    tipo = "mx.alva.ingreso.evidencia.revisada.v1"

    evidencia_id: Identificador
    convenio_id: Identificador
    objetivo_id: Identificador
    dictamen: Dictamen
    motivo: str | None = Field(default=None, max_length=1000, description="Obligatorio si se rechaza.")

    @model_validator(mode="after")
    def _motivo_si_rechaza(self) -> "ReporteEvidenciaRevisada":
        if self.dictamen is Dictamen.rechazada and not (self.motivo or "").strip():
            raise ValueError("un rechazo lleva motivo")
        return self


class ReporteDistintivoRevocado(Evento):
    """Una persona operadora del otorgante revoca un distintivo, con motivo."""

    tipo = "mx.alva.ingreso.distintivo.revocado.v1"

    distintivo_id: str = Field(min_length=8, max_length=80)
    motivo: str = Field(min_length=3, max_length=1000, examples=["Incumplimiento grave del convenio"])
