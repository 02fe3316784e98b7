"""El sobre CloudEvents 1.0 (modo estructurado JSON) con las extensiones de ALVA."""

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CONTENT_TYPE = "application/cloudevents+json"
CABECERA_TIPO = "alva-tipo"  # cabecera de ruteo (no `ce_*`: el mensaje sigue siendo de modo estructurado)
EXTENSIONES_MAX = 10
EXTENSION_MAX = 500  # caracteres del valor de una extensión
NOMBRE_ATRIBUTO = r"^[a-z0-9]{1,20}$"  # CloudEvents: a-z y 0-9; hasta 20 para que todo protocolo lo lleve
SIN_CONTROL = r"^[^\x00-\x1f\x7f]+$"


class CloudEvent(BaseModel):
    """Todo mensaje de ALVA en Kafka es uno de estos, serializado como JSON.

    Los atributos obligatorios de CloudEvents (`specversion`, `id`, `source`, `type`) no tienen valor por
    omisión: un reporte sin alguno se rechaza, porque su `id` es la única llave de idempotencia de quien envía.
    """

    model_config = ConfigDict(extra="allow", frozen=True, json_schema_extra=lambda esquema: esquema.update(
        # Lo mismo que `_extensiones_simples`, dicho en el esquema exportado para quien valide en otro lenguaje.
        propertyNames={"pattern": NOMBRE_ATRIBUTO},
        additionalProperties={"type": ["string", "integer", "boolean"], "maxLength": EXTENSION_MAX},
        maxProperties=len(esquema["properties"]) + EXTENSIONES_MAX))

    specversion: Literal["1.0"] = Field(description="Versión de CloudEvents; siempre \"1.0\".")
    id: str = Field(min_length=1, max_length=200, pattern=SIN_CONTROL,
                    description="Lo fija el productor; es la llave de idempotencia (un UUID, de preferencia).",
                    examples=["0b9f6a0e-3f7c-4d55-9a53-3a8a3c0e7a11"])
    source: str = Field(min_length=1, max_length=500, pattern=SIN_CONTROL,
                        examples=["/instituciones/imss-guanajuato/sistema-rh"])
    type: str = Field(min_length=1, max_length=200, pattern=SIN_CONTROL,
                      examples=["mx.alva.ingreso.sesion.completada.v1"])
    subject: str | None = Field(default=None, max_length=500, examples=["ALVA-2025-IMSS-GTO"])
    time: datetime | None = Field(default=None, description="Cuándo ocurrió, RFC 3339.")
    datacontenttype: Literal["application/json"] | None = "application/json"
    dataschema: str | None = Field(default=None, max_length=500,
                                   examples=["urn:mx.alva:esquema:mx.alva.ingreso.sesion.completada.v1"])
    data: dict[str, Any]
    institucion: str = Field(
        pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=63,
        description="Extensión: la institución de que trata el evento; también la llave de partición.",
        examples=["imss-guanajuato"],
    )
    correlationid: str | None = Field(default=None, max_length=200,
                                      description="Extensión: el id del primer evento de la cadena.")
    causationid: str | None = Field(default=None, max_length=200,
                                    description="Extensión: el id del evento que causó éste.")

    @model_validator(mode="after")
    def _extensiones_simples(self) -> "CloudEvent":
        """Una extensión CloudEvents es un nombre corto en minúsculas con un valor simple, nunca un objeto."""
        extra = self.model_extra or {}
        if len(extra) > EXTENSIONES_MAX:
            raise ValueError(f"demasiados atributos de extensión ({len(extra)}; a lo más {EXTENSIONES_MAX})")
        for nombre, valor in extra.items():
            if not re.fullmatch(NOMBRE_ATRIBUTO, nombre):
                raise ValueError(f"'{nombre[:40]}' no es un nombre de extensión CloudEvents (a-z y 0-9, hasta 20)")
            if not isinstance(valor, str | int | bool) or (isinstance(valor, str) and len(valor) > EXTENSION_MAX):
                raise ValueError(f"la extensión '{nombre}' debe ser un texto (hasta {EXTENSION_MAX}), un entero o un "
                                 "booleano")
        return self

    def a_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @property
    def llave(self) -> bytes:
        """Llave de partición: todo lo de una institución, en orden."""
        return self.institucion.encode()
