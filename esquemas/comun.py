"""Piezas compartidas por los modelos de evento: institución, firmantes, objetivos, vigencia."""

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

Slug = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
        max_length=63,
        description="Identificador estable en minúsculas, con guiones (slug).",
        examples=["imss-guanajuato"],
    ),
]

Identificador = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$",
        description="Identificador asignado por quien reporta; sin espacios.",
        examples=["ALVA-2025-IMSS-GTO"],
    ),
]

AsistenteId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        description=(
            "Identificador seudónimo de la persona asistente, propio de la institución. "
            "Nunca un nombre, correo ni dato que identifique a alguien."
        ),
        examples=["emp-00417"],
    ),
]


class Modelo(BaseModel):
    """Base de todo mensaje: campos desconocidos se rechazan para que un error de escritura no pase en silencio."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Evento(Modelo):
    """Base de las cargas (`data`) de evento; `tipo` es el `type` CloudEvents."""

    tipo: ClassVar[str]
    # (campo, tipo de error de pydantic) → código de rechazo propio, cuando ese error merece un código más claro.
    codigos_de_error: ClassVar[dict[tuple[str, str], str]] = {}


class Modalidad(StrEnum):
    virtual = "virtual"
    presencial = "presencial"


class TipoInstitucion(StrEnum):
    dependencia_federal = "dependencia_federal"
    dependencia_estatal = "dependencia_estatal"
    municipio = "municipio"
    osc = "osc"
    empresa = "empresa"
    organismo_autonomo = "organismo_autonomo"


class Indicador(StrEnum):
    """Lo que mide un objetivo."""

    personas_capacitadas = "personas_capacitadas"
    sesiones_impartidas = "sesiones_impartidas"
    horas_capacitacion = "horas_capacitacion"
    constancias_emitidas = "constancias_emitidas"
    asesorias_brindadas = "asesorias_brindadas"
    campanas_realizadas = "campanas_realizadas"
    material_distribuido = "material_distribuido"
    protocolo_actualizado = "protocolo_actualizado"
    mecanismo_cooperacion = "mecanismo_cooperacion"
    difusion_servicios = "difusion_servicios"


class Institucion(Modelo):
    id: Slug
    nombre: str = Field(min_length=2, max_length=200, examples=["Delegación Guanajuato del IMSS"])
    tipo: TipoInstitucion = Field(examples=["dependencia_federal"])


class Firmante(Modelo):
    nombre: str = Field(min_length=2, max_length=200, examples=["Karla Gabriela Alcaraz Olvera"])
    cargo: str = Field(min_length=2, max_length=200, examples=["Procuradora de los Derechos Humanos"])
    institucion: Slug


class Contacto(Modelo):
    """Persona del personal de la institución que recibe las confirmaciones."""

    nombre: str = Field(min_length=2, max_length=200, examples=["Coordinación de Igualdad y Género"])
    email: EmailStr = Field(examples=["igualdad.gto@imss.example"])
    rol: str = Field(default="enlace", max_length=40, examples=["enlace", "tecnico"],
                     description="`enlace` recibe los avisos del convenio; `tecnico`, los rechazos de sus reportes.")
    avisos: list[str] | None = Field(
        default=None, examples=[["distintivo_otorgado", "distintivo_por_vencer"]],
        description="Qué avisos quiere, si no los de su rol: convenio_firmado, objetivo_cumplido, "
                    "evidencia_rechazada, distintivo_otorgado, distintivo_por_vencer, distintivo_vencido, "
                    "distintivo_revocado, rechazo.")


class Vigencia(Modelo):
    inicio: date = Field(examples=["2025-03-01"])
    fin: date = Field(examples=["2026-02-28"])

    @model_validator(mode="after")
    def _orden(self) -> "Vigencia":
        if self.fin < self.inicio:
            raise ValueError("la vigencia termina antes de empezar")
        return self


class Objetivo(Modelo):
    """Una meta medible del convenio."""

    objetivo_id: Identificador = Field(examples=["capacitar-personal"])
    descripcion: str = Field(min_length=3, max_length=500, examples=["Capacitar a 3 personas del IMSS"])
    indicador: Indicador
    meta: float = Field(gt=0, description="Valor que cumple el objetivo.", examples=[3])
    tema: str | None = Field(default=None, description="Sólo cuenta lo de este tema.")
    modalidad: Modalidad | None = Field(default=None, description="Sólo cuenta lo de esta modalidad.")
