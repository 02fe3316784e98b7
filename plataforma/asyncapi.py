"""Lo que un servicio consume y publica, con los esquemas de `esquemas/`, para su documento AsyncAPI.

El suscriptor recibe lotes de entradas crudas (cada una se decodifica con límites antes de validarse), así que
FastStream sólo podría describir esa lista; aquí se le dice, con `WithJsonSchema`, qué CloudEvents trae. Lo que
publica el relay del outbox se declara con publicadores de FastStream que sólo documentan (el relay publica con su
propio productor idempotente)."""

from typing import Annotated, Any

from pydantic import WithJsonSchema

from esquemas.catalogo import TIPOS, Tipo
from esquemas.rechazos import TOPICO as TOPICO_RECHAZOS
from esquemas.respuestas import TOPICO as TOPICO_RESPUESTAS
from esquemas.sobre import CloudEvent
from plataforma.nube import CONTENT_TYPE


def _en_linea(esquema: Any, definiciones: dict) -> Any:
    """Sustituye cada `{"$ref": "#/$defs/X"}` por su definición: un esquema que se sostiene solo, para anidarlo."""
    if isinstance(esquema, list):
        return [_en_linea(e, definiciones) for e in esquema]
    if not isinstance(esquema, dict):
        return esquema
    if (ref := esquema.get("$ref", "")).startswith("#/$defs/"):
        return _en_linea(definiciones[ref.removeprefix("#/$defs/")], definiciones)
    return {k: _en_linea(v, definiciones) for k, v in esquema.items() if k != "$defs"}


def _autonomo(esquema: dict) -> dict:
    return _en_linea(esquema, esquema.get("$defs", {}))


def sobre(tipo: Tipo) -> dict:
    """El CloudEvent de un tipo: el sobre, con `type` fijo y `data` según su modelo."""
    esquema = _autonomo(CloudEvent.model_json_schema())
    datos = _autonomo(tipo.modelo.model_json_schema())
    esquema["title"] = tipo.nombre
    esquema["description"] = (tipo.modelo.__doc__ or "").strip()
    esquema["properties"] = {**esquema["properties"], "type": {"const": tipo.nombre, "type": "string"},
                             "data": datos}
    esquema["required"] = sorted({*esquema.get("required", ()), "data"})
    return esquema


def uno_de(nombres: list[str], titulo: str) -> dict:
    return {"title": titulo, "description": f"CloudEvents en modo estructurado ({CONTENT_TYPE}).",
            "oneOf": [sobre(TIPOS[n]) for n in sorted(nombres)]}


def lote_consumido(consumidos: list[str], servicio: str) -> Any:
    """La anotación del suscriptor: valida como lista de entradas, se documenta como lista de CloudEvents."""
    from plataforma.nube import Entrada

    esquema = {"type": "array", "title": f"Lote de {servicio}",
               "items": uno_de(consumidos, f"Lo que consume {servicio}")}
    return Annotated[list[Entrada], WithJsonSchema(esquema)]


def publicados(servicio: str, topicos: tuple[str, ...], lee_ingreso: bool) -> dict[str, tuple[str, dict]]:
    """Tópico → (descripción, esquema) de lo que el relay del servicio publica."""
    salida = {}
    for topico in topicos:
        nombres = [t.nombre for t in TIPOS.values() if t.topico == topico]
        if not nombres:
            continue
        quien = "rechazos de entradas (de cualquier institución)" if topico == TOPICO_RECHAZOS else "hechos"
        salida[topico] = (f"Los {quien} que publica {servicio}.", uno_de(nombres, f"{topico} ({servicio})"))
    if lee_ingreso:
        nombres = [t.nombre for t in TIPOS.values() if t.topico == TOPICO_RESPUESTAS]
        salida[TOPICO_RESPUESTAS] = (
            "El desenlace de cada reporte, en el tópico de su institución (sólo ella lo lee).",
            uno_de(nombres, "respuestas"))
    salida["{entrada}.dlq"] = (
        "Copia cruda de lo ilegible o de lo que hizo fallar al servicio, con cabeceras alva-* (código, motivo, "
        "tópico, partición y offset originales).",
        {"title": "copia cruda", "description": "Los bytes tal como llegaron (recortados, con su huella SHA-256 y "
                                               "su tamaño, si exceden el límite del broker)."})
    return salida
