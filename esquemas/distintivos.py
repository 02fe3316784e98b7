"""Hechos que publica el servicio de distintivos en `alva.distintivos`."""

from datetime import date
from typing import Any

from pydantic import Field

from esquemas.comun import Evento, Identificador, Modelo, Slug, Vigencia

TOPICO = "alva.distintivos"


class RequisitoEvaluado(Modelo):
    nombre: str = Field(examples=["Al menos 30 % de las sesiones presenciales"])
    cumplido: bool
    detalle: str = Field(examples=["67% de 30%"])


class DistintivoEvaluado(Evento):
    """Cómo va un convenio hacia el distintivo: qué se cumple y qué falta."""

    tipo = "mx.alva.distintivos.distintivo.evaluado.v1"

    convenio_id: Identificador
    programa: str
    institucion: Slug
    cumplidos: list[str] = Field(examples=[["Objetivo: Capacitar a 10 personas"]])
    faltantes: list[str] = Field(examples=[[]])
    elegible: bool
    reglas_version: int | None = None
    requisitos: list[RequisitoEvaluado] = Field(default_factory=list, description="Cada requisito con su avance.")


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
    credencial_jwt: str | None = Field(default=None, description="La misma credencial, firmada (VC-JWT, EdDSA).")
    reglas_version: int | None = None
    anterior_id: str | None = Field(default=None, description="El distintivo que éste renueva, si lo hay.")


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


class ListaEstadoPublicada(Evento):
    """La lista de estado (Bitstring Status List) de un programa, firmada; cambia con cada revocación."""

    tipo = "mx.alva.distintivos.lista_estado.publicada.v1"

    programa: str
    otorgante: Slug
    url: str = Field(description="El `statusListCredential` que citan las credenciales.")
    credencial_jwt: str
    revocados: int
