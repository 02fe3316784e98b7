"""Rechazos: un evento en `alva.rechazos` por cada entrada que un servicio no aceptó."""

from pydantic import Field

from esquemas.comun import Evento

TOPICO = "alva.rechazos"
TOPICO_REENVIOS = "alva.reenvios"  # lo que quien opera devuelve de una DLQ; cada servicio decide si lo cree
SUFIJO_DLQ = ".dlq"


def topico_dlq(topico: str) -> str:
    """Donde va, cruda, una entrada que ni siquiera pudo leerse."""
    return topico + SUFIJO_DLQ


class EntradaRechazada(Evento):
    """Una entrada no se aceptó; dice cuál, dónde estaba y por qué, para que quien la envió la corrija."""

    tipo = "mx.alva.rechazos.entrada.rechazada.v1"

    entrada_id: str | None = Field(description="El `id` CloudEvents de la entrada, si pudo leerse.")
    entrada_tipo: str | None = None
    topico: str = Field(examples=["alva.ingreso.imss-guanajuato"])
    particion: int
    offset: int
    codigo: str = Field(description="Código estable para máquinas.", examples=["convenio_desconocido"])
    motivo: str = Field(description="Qué pasó y cómo corregirlo, en español.")
    campo: str | None = Field(default=None, description="El campo culpable, si lo hay.", examples=["data.asistentes"])
    servicio: str = Field(examples=["capacitacion"])
