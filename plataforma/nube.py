"""CloudEvents en modo estructurado para FastStream: leer cada registro de Kafka sin que nada lo tumbe."""

import json
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from esquemas import CONTENT_TYPE, TIPOS, CloudEvent
from esquemas.comun import Evento

CONTENT_TYPES_ACEPTADOS = {CONTENT_TYPE, "application/json"}


@dataclass(frozen=True)
class ErrorLectura:
    codigo: str
    motivo: str
    campo: str | None = None


@dataclass(frozen=True)
class Entrada:
    """Un registro consumido: dónde estaba, sus bytes, y el evento o por qué no se pudo leer."""

    topico: str
    particion: int
    offset: int
    llave: bytes | None
    valor: bytes
    cabeceras: tuple[tuple[str, bytes], ...]
    evento: CloudEvent | None = None
    error: ErrorLectura | None = None

    @property
    def clave_inbox(self) -> str:
        """Id de idempotencia: el del evento, o su posición si no se pudo leer."""
        return str(self.evento.id) if self.evento else f"{self.topico}:{self.particion}:{self.offset}"


def cabeceras_kafka(evento: CloudEvent) -> list[tuple[str, bytes]]:
    return [("content-type", CONTENT_TYPE.encode()), ("ce_type", evento.type.encode())]


def leer(topico: str, particion: int, offset: int, llave: bytes | None, valor: bytes | None, cabeceras) -> Entrada:
    """Nunca lanza: una entrada ilegible vuelve con su `error`."""
    cabeceras = tuple((k, bytes(v or b"")) for k, v in cabeceras)
    entrada = Entrada(topico, particion, offset, llave, valor or b"", cabeceras)
    tipo_contenido = dict(cabeceras).get("content-type", b"").decode("utf-8", "replace").split(";")[0].strip()
    if tipo_contenido and tipo_contenido not in CONTENT_TYPES_ACEPTADOS:
        return replace(entrada, error=ErrorLectura(
            "content_type_no_soportado",
            f"El content-type '{tipo_contenido}' no se acepta; envíe '{CONTENT_TYPE}' (CloudEvents, modo estructurado).",
        ))
    try:
        crudo: Any = json.loads(entrada.valor)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return replace(entrada, error=ErrorLectura("json_invalido", f"El mensaje no es JSON válido: {e}."))
    if not isinstance(crudo, dict):
        return replace(entrada, error=ErrorLectura("sobre_invalido", "Se esperaba un objeto JSON con un CloudEvent."))
    try:
        return replace(entrada, evento=CloudEvent.model_validate(crudo))
    except ValidationError as e:
        campo, motivo = describir_error(e)
        return replace(entrada, error=ErrorLectura("sobre_invalido", f"El sobre CloudEvents no es válido: {motivo}", campo))


def describir_error(error: ValidationError, prefijo: str = "") -> tuple[str, str]:
    """El primer campo culpable y una frase con todos los errores."""
    partes, primero = [], None
    for detalle in error.errors(include_url=False):
        campo = ".".join(str(p) for p in (prefijo, *detalle["loc"]) if p != "")
        primero = primero or campo
        partes.append(f"'{campo}': {detalle['msg']}")
    return primero or prefijo, "; ".join(partes[:5]) + ("" if len(partes) <= 5 else f" (y {len(partes) - 5} más)")


async def parsear_lote(registros, parser_original):
    """Parser FastStream: cabeceras que no son UTF-8 no deben tumbar al consumidor."""
    limpios = tuple(
        replace(r, headers=[(k, v if _es_utf8(v) else v.decode("latin-1").encode()) for k, v in r.headers])
        for r in registros
    )
    return await parser_original(limpios)


def _es_utf8(valor: bytes | None) -> bool:
    try:
        (valor or b"").decode()
        return True
    except UnicodeDecodeError:
        return False


async def decodificar_lote(mensaje, decoder_original=None) -> list[Entrada]:
    """Decoder FastStream: cada registro del lote como una `Entrada`."""
    return [leer(r.topic, r.partition, r.offset, r.key, r.value, r.headers) for r in mensaje.raw_message]


def nuevo_evento(datos: Evento, *, institucion: str, servicio: str, subject: str | None = None,
                 causa: CloudEvent | None = None, source: str | None = None) -> CloudEvent:
    tipo = TIPOS[datos.tipo]
    return CloudEvent(
        source=source or f"/alva/{servicio}",
        type=tipo.nombre,
        subject=subject,
        dataschema=tipo.dataschema,
        data=datos.model_dump(mode="json"),
        institucion=institucion,
        correlationid=(causa.correlationid or str(causa.id)) if causa else None,
        causationid=str(causa.id) if causa else None,
    )
