"""Hechos que publica el servicio de distintivos en `alva.distintivos`."""

from datetime import date
from typing import Any

from pydantic import Field

from esquemas.comun import Evento, Identificador, Slug, Vigencia

TOPICO = "alva.distintivos"


class DistintivoEvaluado(Evento):
    """Cómo va un convenio hacia el distintivo: qué se cumple y qué falta."""

    tipo = "mx.alva.distintivos.distintivo.evaluado.v1"

    convenio_id: Identificador
    programa: str
    institucion: Slug
    cumplidos: list[str] = Field(examples=[["capacitar-personal"]])
    faltantes: list[str] = Field(examples=[[]])
    elegible: bool


class DistintivoOtorgado(Evento):
    """El distintivo se otorgó; uno por convenio y periodo."""

    tipo = "mx.alva.distintivos.distintivo.otorgado.v1"

    distintivo_id: str
    programa: str
    otorgante: Slug
    institucion: Slug
    institucion_nombre: str
    convenio_id: Identificador
    periodo: str = Field(examples=["2025"])
    fecha: date
    vigencia: Vigencia
    criterios: list[str] = Field(description="Lo que se cumplió para otorgarlo, en palabras.")
    credencial: dict[str, Any] | None = Field(default=None, description="Credencial verificable (Open Badges 3.0).")


class DistintivoRenovado(Evento):
    """Un distintivo se renovó bajo un nuevo convenio."""

    tipo = "mx.alva.distintivos.distintivo.renovado.v1"

    distintivo_id: str
    anterior_id: str
    convenio_id: Identificador
    institucion: Slug
    vigencia: Vigencia


class DistintivoRevocado(Evento):
    """Un distintivo fue revocado, con motivo."""

    tipo = "mx.alva.distintivos.distintivo.revocado.v1"

    distintivo_id: str
    convenio_id: Identificador
    institucion: Slug
    motivo: str


class DistintivoVencido(Evento):
    """La vigencia de un distintivo terminó."""

    tipo = "mx.alva.distintivos.distintivo.vencido.v1"

    distintivo_id: str
    convenio_id: Identificador
    institucion: Slug
    fecha: date
