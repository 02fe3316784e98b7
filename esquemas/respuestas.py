"""Desenlaces: uno por reporte, en `alva.respuestas.<institucion>`, que sólo esa institución puede leer."""

from pydantic import Field

from esquemas.comun import Evento, Modelo

TOPICO = "alva.respuestas.{institucion}"
PREFIJO = "alva.respuestas."


def topico_respuestas(institucion: str) -> str:
    return TOPICO.format(institucion=institucion)


class HechoProducido(Modelo):
    id: str
    type: str


class ReporteRespondido(Evento):
    """Lo que pasó con un reporte: aceptado (con los hechos que produjo) o rechazado (con código, campo y motivo)."""

    tipo = "mx.alva.respuestas.reporte.respondido.v1"

    entrada_id: str | None = Field(description="El `id` CloudEvents del reporte, si pudo leerse.")
    entrada_tipo: str | None = None
    topico: str = Field(examples=["alva.ingreso.imss-guanajuato"])
    particion: int
    offset: int
    aceptado: bool
    hechos: list[HechoProducido] = Field(default_factory=list, description="Lo que produjo, si se aceptó.")
    codigo: str | None = Field(default=None, examples=["fecha_fuera_de_vigencia"])
    campo: str | None = Field(default=None, examples=["data.fecha"])
    motivo: str | None = Field(default=None, description="Qué pasó y cómo corregirlo, en español.")
    repetido: bool = Field(default=False, description="El mismo reporte (mismo id y contenido) ya se había "
                                                      "procesado: éste es el desenlace de aquella vez.")
    servicio: str = Field(examples=["capacitacion"])
