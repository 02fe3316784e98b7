"""CloudEvents en modo estructurado: leer cada registro con límites (nada lo tumba) y armar lo que se publica."""

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from pydantic import ValidationError

from esquemas import CONTENT_TYPE, TIPOS, CloudEvent
from esquemas.comun import Evento
from esquemas.ingreso import institucion_del_topico
from esquemas.sobre import CABECERA_TIPO

CONTENT_TYPES_ACEPTADOS = {CONTENT_TYPE, "application/json"}
LIMITE_BYTES = 1_000_000  # el broker admite ~1 MiB por mensaje; lo que se lee y lo que se publica cabe en esto
PROFUNDIDAD_MAX = 24  # niveles de anidamiento de un JSON (un reporte real usa 4)
ESPACIO_HECHOS = uuid.UUID("3d0f6c52-8b1e-4e51-9d0b-7b0f4d6a2c90")
_EPOCA = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ErrorLectura:
    codigo: str
    motivo: str
    campo: str | None = None


@dataclass(frozen=True, slots=True)
class Entrada:
    """Un registro consumido: dónde estaba, cuándo lo anotó el broker, sus bytes, y el evento o por qué no se leyó."""

    topico: str
    particion: int
    offset: int
    marca: datetime  # la hora del broker (LogAppendTime): el reloj de la plataforma para lo que este registro cause
    llave: bytes | None
    valor: bytes
    cabeceras: tuple[tuple[str, bytes], ...]
    evento: CloudEvent | None = None
    error: ErrorLectura | None = None
    omitida: bool = False  # la cabecera de ruteo dice que no es para este servicio: ni se decodificó
    reenvio_de: str | None = field(default=None)  # "dlq:particion@offset" si vino de alva.reenvios

    @property
    def institucion(self) -> str | None:
        """La institución dueña del tópico de ingreso por el que llegó (None si no es un ingreso)."""
        return institucion_del_topico(self.topico)

    @property
    def posicion(self) -> str:
        return f"{self.topico}:{self.particion}@{self.offset}"

    @property
    def clave_inbox(self) -> str:
        """Llave de idempotencia: en un ingreso, el id dentro de esa institución; si no se leyó, su posición."""
        if self.evento is None:
            return self.posicion
        institucion = self.institucion
        return f"{institucion}/{self.evento.id}" if institucion else self.evento.id


@dataclass(frozen=True, slots=True)
class Mensaje:
    """Lo que se publica: tópico, llave, bytes y cabeceras."""

    topico: str
    llave: bytes | None
    valor: bytes
    cabeceras: tuple[tuple[str, bytes], ...] = ()

    @property
    def tamano(self) -> int:
        return len(self.valor) + len(self.llave or b"") + sum(len(k) + len(v) for k, v in self.cabeceras)


CABECERAS_REPORTE = (("content-type", CONTENT_TYPE.encode()),)  # lo que pone el sistema de una institución


@lru_cache(maxsize=256)
def cabeceras_de(tipo: str) -> tuple[tuple[str, bytes], ...]:
    """Modo estructurado (sin cabeceras `ce_*`) y la cabecera de ruteo con el tipo."""
    return (("content-type", CONTENT_TYPE.encode()), (CABECERA_TIPO, tipo.encode()))


@lru_cache(maxsize=4096)
def marca_de(milisegundos: int | None) -> datetime:
    """La hora de un registro; con LogAppendTime, los de un mismo lote suelen compartirla (se arma una vez)."""
    return datetime.fromtimestamp(milisegundos / 1000, UTC) if milisegundos is not None and milisegundos >= 0 else _EPOCA


def leer(topico: str, particion: int, offset: int, marca: datetime, llave: bytes | None, valor: bytes | None,
         cabeceras, *, utiles: frozenset[str] | None = None, nombres: tuple[bytes, ...] | None = None) -> Entrada:
    """Nunca lanza: lo ilegible vuelve con su `error`. Con `utiles`, lo que la cabecera de ruteo dice que no es
    para este servicio ni se decodifica (sólo fuera de los ingresos: ahí nadie confía en las cabeceras).

    `nombres` (los tipos de `utiles` en bytes) es para un servicio que no es el guardián de los ingresos: a él sólo
    le importa una entrada de ingreso cuyo `type` sea uno de los suyos, y ese texto tiene que estar, tal cual, en
    los bytes, salvo que el JSON lo escriba con escapes (una barra invertida). Sin ninguno de los dos, la entrada no
    es suya aunque sea ilegible (lo ilegible lo rechaza el guardián): ni se decodifica."""
    cabeceras = tuple((k, v if type(v) is bytes else bytes(v or b"")) for k, v in cabeceras)
    valor = valor or b""
    base = (topico, particion, offset, marca, llave, valor, cabeceras)
    if ajeno(topico, valor, cabeceras, utiles=utiles, nombres=nombres):
        return Entrada(*base, omitida=True)
    propias = dict(cabeceras)
    error = _problema_de_forma(valor, propias)
    if error is not None:
        return Entrada(*base, error=error)
    if _sin_riesgo(valor):
        try:  # lo común: pydantic lee y valida el JSON de una vez (un sustituto suelto o UTF-8 roto no pasan)
            return Entrada(*base, evento=CloudEvent.model_validate_json(valor))
        except ValidationError:
            pass  # el camino detallado dice exactamente qué falló
    return Entrada(*base, **_decodificar(valor))


def ajeno(topico: str, valor: bytes | None, cabeceras, *, utiles: frozenset[str] | None = None,
          nombres: tuple[bytes, ...] | None = None) -> bool:
    """Si un registro no es de este servicio, sin leerlo (ver `leer`): fuera de los ingresos, porque su cabecera de
    ruteo (la última, si viniera repetida) nombra un tipo que no está en `utiles`; en un ingreso, porque ninguno de
    sus `nombres` está en los bytes. Barato: se pregunta por cada registro del lote antes de armar nada."""
    if institucion_del_topico(topico) is None:
        if utiles is None:
            return False
        tipo = None
        for k, v in cabeceras:
            if k == CABECERA_TIPO:
                tipo = v
        return tipo is not None and bytes(tipo).decode("utf-8", "replace") not in utiles
    valor = valor or b""
    return nombres is not None and b"\\" not in valor and not any(n in valor for n in nombres)


def _sin_riesgo(valor: bytes) -> bool:
    """Sin leerlo: no puede anidar más que el límite (cuenta los corchetes y llaves, aun los de dentro de textos) ni
    traer un U+0000 (en JSON sólo puede venir escrito como \\u0000)."""
    return valor.count(b"{") + valor.count(b"[") < PROFUNDIDAD_MAX and b"\\u0000" not in valor


def _decodificar(valor: bytes) -> dict:
    """El camino detallado: JSON con orjson, profundidad y U+0000 recorriendo sin recursión, luego el sobre."""
    try:
        crudo: Any = orjson.loads(valor)
    except orjson.JSONDecodeError as e:
        return {"error": _error_json(str(e))}
    if not isinstance(crudo, dict):
        return {"error": ErrorLectura("sobre_invalido", "Se esperaba un objeto JSON con un CloudEvent.")}
    profundidad, con_nulo = _recorrer(crudo)
    if profundidad > PROFUNDIDAD_MAX:
        return {"error": ErrorLectura(
            "profundidad_excesiva", f"El JSON anida más de {PROFUNDIDAD_MAX} niveles ({profundidad}); un reporte "
            "de ALVA usa pocos.")}
    if con_nulo:
        return {"error": ErrorLectura("texto_invalido", "Un texto del JSON contiene el carácter nulo (U+0000), que "
                                                        "ningún texto admite.")}
    try:
        return {"evento": CloudEvent.model_validate(crudo)}
    except ValidationError as e:
        campo, motivo = describir_error(e)
        return {"error": ErrorLectura("sobre_invalido", f"El sobre CloudEvents no es válido: {motivo}", campo)}


def _problema_de_forma(valor: bytes, cabeceras: dict[str, bytes]) -> ErrorLectura | None:
    tipo_contenido = cabeceras.get("content-type", b"").decode("utf-8", "replace").split(";")[0].strip()
    if tipo_contenido and tipo_contenido not in CONTENT_TYPES_ACEPTADOS:
        return ErrorLectura("content_type_no_soportado", f"El content-type '{tipo_contenido[:80]}' no se acepta; "
                            f"envíe '{CONTENT_TYPE}' (CloudEvents, modo estructurado).")
    if len(valor) > LIMITE_BYTES:
        return ErrorLectura("demasiado_grande", f"El mensaje mide {len(valor)} bytes; el límite es {LIMITE_BYTES}.")
    if not valor:
        return ErrorLectura("json_invalido", "El mensaje está vacío; se esperaba un CloudEvent en JSON.")
    return None


def _error_json(detalle: str) -> ErrorLectura:
    if "surrogate" in detalle or "UTF-8" in detalle:
        return ErrorLectura("texto_invalido", f"El mensaje no es texto UTF-8 válido (p. ej. un sustituto suelto "
                                              f"como \\udc80): {detalle}.")
    if "depth" in detalle or "recursion" in detalle:
        return ErrorLectura("profundidad_excesiva", f"El JSON anida demasiados niveles (más de {PROFUNDIDAD_MAX}).")
    return ErrorLectura("json_invalido", f"El mensaje no es JSON válido: {detalle}.")


def _recorrer(raiz: Any) -> tuple[int, bool]:
    """(niveles de anidamiento, si algún texto trae U+0000), sin recursión (un JSON hostil no agota la pila); se
    detiene pasado el límite de profundidad."""
    mayor, nulo, pila = 0, False, [(raiz, 1)]
    while pila:
        nodo, nivel = pila.pop()
        mayor = max(mayor, nivel)
        if mayor > PROFUNDIDAD_MAX:
            return mayor, nulo
        if isinstance(nodo, dict):
            nulo = nulo or any("\x00" in k for k in nodo)
            hijos = nodo.values()
        else:
            hijos = nodo
        for h in hijos:
            if isinstance(h, dict | list):
                pila.append((h, nivel + 1))
            elif isinstance(h, str) and "\x00" in h:
                nulo = True
    return mayor, nulo


def describir_error(error: ValidationError, prefijo: str = "") -> tuple[str, str]:
    """El primer campo culpable y una frase con todos los errores (sin repetir lo que envió quien reporta)."""
    partes, primero = [], None
    for detalle in error.errors(include_url=False, include_input=False):
        campo = ".".join(str(p) for p in (prefijo, *detalle["loc"]) if p != "")[:200]
        primero = primero or campo
        mensaje = ("falta este atributo obligatorio" if detalle["type"] == "missing" else detalle["msg"])[:300]
        partes.append(f"'{campo}': {mensaje}")
    return primero or prefijo, "; ".join(partes[:5]) + ("" if len(partes) <= 5 else f" (y {len(partes) - 5} más)")


def codigo_de_error(modelo: type[Evento], error: ValidationError) -> str:
    """El código propio del modelo para su primer error (p. ej. `sin_asistentes`), o `esquema_invalido`."""
    for detalle in error.errors(include_url=False, include_input=False):
        campo = ".".join(str(p) for p in detalle["loc"][:1])
        if codigo := modelo.codigos_de_error.get((campo, detalle["type"])):
            return codigo
        break
    return "esquema_invalido"


@lru_cache(maxsize=4096)
def iso(momento: datetime) -> str:
    """RFC 3339 en UTC con milisegundos y 'Z' (los hechos de una misma causa comparten su hora: una vez cada una)."""
    return momento.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def id_de_hecho(causa: str, tipo: str, subject: str | None, ordinal: int) -> str:
    """Determinista: reprocesar la misma causa da los mismos ids (ver README, Guarantees)."""
    return uuid5(ESPACIO_HECHOS, f"{causa}|{tipo}|{subject or ''}|{ordinal}")


def uuid5(espacio: uuid.UUID, nombre: str) -> str:
    """`str(uuid.uuid5(espacio, nombre))`, sin armar objetos UUID (un hecho por asistente lo pide miles de veces)."""
    h = bytearray(hashlib.sha1(espacio.bytes + nombre.encode()).digest()[:16])
    h[6], h[8] = (h[6] & 0x0F) | 0x50, (h[8] & 0x3F) | 0x80
    x = h.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def armar(tipo: str, datos: dict, *, id_: str, institucion: str, servicio: str, cuando: datetime,
          subject: str | None = None, correlacion: str | None = None, causa: str | None = None,
          source: str | None = None) -> dict:
    """El sobre de un hecho como dict listo para serializar: sin pasar por pydantic (es lo caliente)."""
    sobre = {"specversion": "1.0", "id": id_, "source": source or f"/alva/{servicio}", "type": tipo,
             "time": iso(cuando), "datacontenttype": "application/json", "dataschema": TIPOS[tipo].dataschema,
             "institucion": institucion, "data": datos}
    if subject is not None:
        sobre["subject"] = subject
    if correlacion is not None:
        sobre["correlationid"] = correlacion
    if causa is not None:
        sobre["causationid"] = causa
    return sobre


def mensaje(topico: str, sobre: dict) -> Mensaje:
    return Mensaje(topico, sobre["institucion"].encode(), orjson.dumps(sobre), cabeceras_de(sobre["type"]))


def nuevo_reporte(datos: Evento, *, institucion: str, source: str | None = None, id_: str | None = None,
                  cuando: datetime | None = None) -> CloudEvent:
    """Un reporte como lo arma el sistema de una institución: id nuevo (o el dado) y la hora de ahora."""
    tipo = TIPOS[datos.tipo]
    return CloudEvent(specversion="1.0", id=id_ or str(uuid.uuid4()),
                      source=source or f"/instituciones/{institucion}/sistema", type=tipo.nombre,
                      time=cuando or datetime.now(UTC), dataschema=tipo.dataschema,
                      data=datos.model_dump(mode="json", exclude_none=True), institucion=institucion)
