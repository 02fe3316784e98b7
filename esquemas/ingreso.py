"""Reportes que las instituciones (y el otorgante, con su propio id) escriben en su tópico de ingreso."""

from datetime import date

from pydantic import Field

from esquemas.comun import (
    AsistenteId,
    Contacto,
    Evento,
    Firmante,
    Identificador,
    Institucion,
    Modalidad,
    Objetivo,
    Slug,
    Vigencia,
)

PREFIJO_TOPICO = "alva.ingreso."
PATRON_TOPICO = r"alva\.ingreso\.[a-z0-9]+(?:-[a-z0-9]+)*"


def topico_ingreso(institucion: str) -> str:
    """El tópico donde escribe una institución; su nombre dice quién envía."""
    return PREFIJO_TOPICO + institucion


def institucion_del_topico(topico: str) -> str | None:
    return topico.removeprefix(PREFIJO_TOPICO) if topico.startswith(PREFIJO_TOPICO) else None


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


class ReporteSesionCompletada(Evento):
    """La institución reporta una sesión de capacitación impartida, con sus asistentes seudónimos."""

    tipo = "mx.alva.ingreso.sesion.completada.v1"

    sesion_id: Identificador = Field(description="Id de la sesión en el sistema de la institución.")
    convenio_id: Identificador
    tema: str = Field(min_length=3, max_length=300, examples=["Cero tolerancia al hostigamiento y acoso sexual"])
    modalidad: Modalidad
    fecha: date = Field(examples=["2025-04-10"])
    horas: float = Field(gt=0, le=24, examples=[3])
    facilitador: str = Field(min_length=2, max_length=200, examples=["PRODHEG, Dirección de Capacitación"])
    asistentes: list[AsistenteId] = Field(min_length=1, max_length=5000)
