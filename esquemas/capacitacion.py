"""Hechos que publica el servicio de capacitación: las sesiones en `alva.capacitacion`, las constancias (una por
asistente y sesión) en `alva.capacitacion.constancias`, que ningún servicio lee (así quien sigue las sesiones no
recibe tres registros ajenos por cada uno suyo)."""

from datetime import date
from typing import ClassVar

from pydantic import Field

from esquemas.comun import AsistenteId, Evento, Identificador, Modalidad, Slug

TOPICO = "alva.capacitacion"
TOPICO_CONSTANCIAS = "alva.capacitacion.constancias"


class SesionProgramada(Evento):
    """Una sesión de capacitación quedó programada."""

    tipo = "mx.alva.capacitacion.sesion.programada.v1"

    sesion_id: Identificador
    convenio_id: Identificador
    institucion: Slug
    tema: str
    modalidad: Modalidad
    fecha: date
    horas: float
    facilitador: str


class SesionCompletada(SesionProgramada):
    """Una sesión se impartió; trae a sus asistentes seudónimos."""

    tipo = "mx.alva.capacitacion.sesion.completada.v1"

    asistentes: list[AsistenteId]
    version: int = Field(default=1, ge=1, description="Sube con cada corrección; la última versión es la que vale.")


class SesionCancelada(Evento):
    """Una sesión se canceló, aun después de haberse completado."""

    tipo = "mx.alva.capacitacion.sesion.cancelada.v1"

    sesion_id: Identificador
    convenio_id: Identificador
    institucion: Slug
    motivo: str


class ConstanciaEmitida(Evento):
    """La constancia de una persona asistente por una sesión."""

    tipo = "mx.alva.capacitacion.constancia.emitida.v1"
    topico: ClassVar[str] = TOPICO_CONSTANCIAS

    constancia_id: str = Field(description="Estable: el mismo asistente y sesión dan el mismo id.")
    sesion_id: Identificador
    convenio_id: Identificador
    institucion: Slug
    asistente: AsistenteId
    tema: str
    fecha: date
    horas: float
