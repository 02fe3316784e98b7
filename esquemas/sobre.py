"""El sobre CloudEvents 1.0 (modo estructurado JSON) con las extensiones de ALVA."""

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/cloudevents+json"


class CloudEvent(BaseModel):
    """Todo mensaje de ALVA en Kafka es uno de estos, serializado como JSON."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: UUID = Field(default_factory=uuid4, description="Lo fija el productor; es la llave de idempotencia.")
    source: str = Field(min_length=1, examples=["/instituciones/imss-guanajuato/sistema-rh"])
    type: str = Field(min_length=1, examples=["mx.alva.ingreso.sesion.completada.v1"])
    subject: str | None = Field(default=None, examples=["ALVA-2025-IMSS-GTO"])
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = Field(default=None, examples=["urn:mx.alva:esquema:mx.alva.ingreso.sesion.completada.v1"])
    data: dict[str, Any]
    institucion: str = Field(
        pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
        description="Extensión: la institución de que trata el evento; también la llave de partición.",
        examples=["imss-guanajuato"],
    )
    correlationid: str | None = Field(default=None, description="Extensión: el id del primer evento de la cadena.")
    causationid: str | None = Field(default=None, description="Extensión: el id del evento que causó éste.")

    def a_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @property
    def llave(self) -> bytes:
        """Llave de partición: todo lo de una institución, en orden."""
        return self.institucion.encode()
