"""Outbox transaccional: encolar en la transacción del cambio; un relay publica con acks=all e idempotencia, borra
lo que Kafka confirmó y aparta, con su error, lo que Kafka nunca aceptará, sin detener lo que viene detrás."""

import asyncio
import base64
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.errors import (
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)

from plataforma.esperas import esperar_evento
from plataforma.nube import LIMITE_BYTES, Mensaje

log = logging.getLogger(__name__)

# Lo que ningún reintento arregla: la fila se aparta para que quien opera la vea (`alva outbox`).
PERMANENTES = (MessageSizeTooLargeError, RecordListTooLargeError, InvalidTopicError, TopicAuthorizationFailedError,
               UnknownTopicOrPartitionError)


def canal(esquema: str) -> str:
    return f"outbox_{esquema}"


def cabeceras_a_json(cabeceras: Iterable[tuple[str, bytes]]) -> str:
    """[[nombre, texto]] o, si el valor no es texto limpio, [nombre, null, base64]."""
    salida = []
    for k, v in cabeceras:
        try:
            texto = v.decode()
            salida.append([k, texto] if "\x00" not in texto else [k, None, base64.b64encode(v).decode()])
        except UnicodeDecodeError:
            salida.append([k, None, base64.b64encode(v).decode()])
    return orjson.dumps(salida).decode()


def cabeceras_de_json(texto: str) -> list[tuple[str, bytes]]:
    return [(c[0], c[1].encode() if c[1] is not None else base64.b64decode(c[2])) for c in orjson.loads(texto)]


@lru_cache(maxsize=1024)
def _a_json(cabeceras: tuple[tuple[str, bytes], ...]) -> str:
    """Las cabeceras de los hechos son casi siempre las mismas pocas (content-type y el tipo): una vez cada una."""
    return cabeceras_a_json(cabeceras)


@lru_cache(maxsize=1024)
def _de_json(texto: str) -> tuple[tuple[str, bytes], ...]:
    return tuple(cabeceras_de_json(texto))


async def encolar(conn: asyncpg.Connection, esquema: str, mensajes: Iterable[Mensaje]) -> int:
    """Dentro de la transacción del llamador, con COPY; el relay despierta cuando ésta confirma."""
    filas = [(m.topico, m.llave, m.valor, _a_json(tuple(m.cabeceras))) for m in mensajes]
    if filas:
        await conn.copy_records_to_table("outbox", records=filas, columns=["topico", "llave", "valor", "cabeceras"])
        await conn.execute("SELECT pg_notify($1, '')", canal(esquema))
    return len(filas)


def crear_productor(opciones: dict, client_id: str) -> AIOKafkaProducer:
    """aiokafka por omisión usa acks=1 y sin idempotencia; aquí, ambos explícitos. `opciones`: conexión y seguridad."""
    return AIOKafkaProducer(
        **opciones,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=1024 * 1024,
        max_request_size=LIMITE_BYTES + 64 * 1024,
        request_timeout_ms=30000,
    )


@dataclass
class _Lote:
    """Un lote de registros de aiokafka y las filas del outbox que lleva."""

    registros: BatchBuilder
    filas: list = field(default_factory=list)


class Relay:
    """Publica lo encolado en orden; al detenerse termina el lote en curso (nada confirmado se vuelve a enviar)."""

    def __init__(self, pool: asyncpg.Pool, esquema: str, productor: AIOKafkaProducer, *, lote: int = 2000,
                 sondeo_s: float = 1.0, al_publicar: Callable[[int], None] | None = None,
                 al_apartar: Callable[[str], None] | None = None) -> None:
        self.pool, self.esquema, self.productor = pool, esquema, productor
        self.lote, self.sondeo_s, self.al_publicar, self.al_apartar = lote, sondeo_s, al_publicar, al_apartar
        self._despertar = asyncio.Event()
        self._detenido = False
        self._topicos: set[str] = set()
        self.publicados = 0

    def despertar(self) -> None:
        self._despertar.set()

    def detener(self) -> None:
        """Pide parar; `correr` vuelve al terminar el lote que esté publicando."""
        self._detenido = True
        self._despertar.set()

    async def correr(self) -> None:
        """Hasta que lo detengan; un fallo de Kafka o PostgreSQL se reintenta, nunca se pierde lo encolado."""
        while not self._detenido:
            try:
                await self._turno()
            except Exception as e:  # noqa: BLE001 - el relay no muere: reintenta
                log.warning("relay %s: no se pudo publicar, se reintenta: %s", self.esquema, e)
                await self._esperar(1.0)

    async def _turno(self) -> None:
        """Un solo relay activo por esquema (candado consultivo); los demás esperan de reserva."""
        candado = f"relay:{self.esquema}"
        async with self.pool.acquire() as conn:
            await conn.add_listener(canal(self.esquema), self._al_notificar)
            try:
                while not self._detenido and not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))",
                                                                      candado):
                    await self._esperar(self.sondeo_s)
                try:
                    while not self._detenido:
                        while not self._detenido and await self.publicar_pendientes(conn):
                            pass
                        await self._esperar(self.sondeo_s)
                finally:
                    if not conn.is_closed():
                        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", candado)
            finally:
                if not conn.is_closed():
                    await conn.remove_listener(canal(self.esquema), self._al_notificar)

    def _al_notificar(self, *_: object) -> None:
        self._despertar.set()

    async def publicar_pendientes(self, conn: asyncpg.Connection) -> int:
        """Un lote: publica, espera cada confirmación, borra lo confirmado y aparta lo imposible. Cuántas salieron.

        Las filas van a Kafka en lotes de registros armados aquí, uno por partición (la misma que elegiría `send`
        por su llave), con un futuro por lote y no por mensaje: lo que un lote de Kafka acepta o rechaza, lo acepta
        o rechaza entero, igual que cuando el productor juntaba los mensajes por su cuenta."""
        filas = await conn.fetch(
            "SELECT id, topico, llave, valor, cabeceras::text AS cabeceras FROM outbox ORDER BY id LIMIT $1", self.lote)
        if not filas:
            return 0
        await self._conocer_topicos({f["topico"] for f in filas})
        enviadas, apartadas, fallo = [], [], None
        por_particion: dict[tuple[str, int], list] = {}
        particiones: dict[tuple[str, bytes | None], int] = {}
        for f in filas:
            if (problema := self._imposible(f)) is not None:
                apartadas.append((f, problema))
                continue
            try:
                particion = await self._particion(f["topico"], f["llave"], particiones)
            except PERMANENTES as e:
                apartadas.append((f, f"{type(e).__name__}: {e}"))
                continue
            por_particion.setdefault((f["topico"], particion), []).append(f)
        envios = []  # (filas del lote, futuro)
        for (topico, particion), grupo in por_particion.items():
            for lote in self._lotes(grupo):
                try:
                    envios.append((lote, await self.productor.send_batch(lote.registros, topico,
                                                                         partition=particion)))
                except PERMANENTES as e:
                    apartadas += [(f, f"{type(e).__name__}: {e}") for f in lote.filas]
        resultados = await asyncio.gather(*(futuro for _, futuro in envios), return_exceptions=True)
        for (lote, _), resultado in zip(envios, resultados, strict=True):
            if not isinstance(resultado, BaseException):
                enviadas += [f["id"] for f in lote.filas]
            elif isinstance(resultado, PERMANENTES):
                apartadas += [(f, f"{type(resultado).__name__}: {resultado}") for f in lote.filas]
            else:
                fallo = fallo or resultado
        async with conn.transaction():
            if enviadas:
                await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", enviadas)
            if apartadas:
                await self._apartar(conn, apartadas)
        self.publicados += len(enviadas)
        if self.al_publicar and enviadas:
            self.al_publicar(len(enviadas))
        if fallo is not None:  # transitorio: lo que no salió se reintenta en el siguiente turno
            raise fallo if isinstance(fallo, Exception) else KafkaError(str(fallo))
        return len(enviadas) + len(apartadas)

    async def _particion(self, topico: str, llave: bytes | None, conocidas: dict) -> int:
        """La partición que `send` elegiría (el particionador del productor), una vez por llave y turno."""
        if llave is not None and (topico, llave) in conocidas:
            return conocidas[topico, llave]
        await self.productor.client._wait_on_metadata(topico)  # noqa: SLF001 - lo mismo que hace `send`
        particion = self.productor._partition(topico, None, None, None, llave, None)  # noqa: SLF001
        if llave is not None:
            conocidas[topico, llave] = particion
        return particion

    def _lotes(self, grupo: list) -> Iterator["_Lote"]:
        """Las filas de una partición, en orden, en lotes de registros de a lo más `max_batch_size` bytes (un
        mensaje más grande va solo en el suyo)."""
        lote = _Lote(self.productor.create_batch())
        for f in grupo:
            cabeceras = list(_de_json(f["cabeceras"]))  # el armador de aiokafka pide una lista
            if lote.registros.append(key=f["llave"], value=f["valor"], timestamp=None, headers=cabeceras) is None:
                yield lote
                lote = _Lote(self.productor.create_batch())
                lote.registros.append(key=f["llave"], value=f["valor"], timestamp=None, headers=cabeceras)
            lote.filas.append(f)
        if lote.filas:
            yield lote

    def _imposible(self, fila) -> str | None:
        if fila["topico"] not in self._topicos:
            return (f"El tópico {fila['topico']} no existe o este servicio no tiene permiso de escribir en él; "
                    "los tópicos los crea la preparación de la plataforma o el alta de una institución.")
        tamano = len(fila["valor"]) + len(fila["llave"] or b"") + len(fila["cabeceras"])
        if tamano > LIMITE_BYTES + 32 * 1024:
            return f"El mensaje mide {tamano} bytes; el broker no acepta más de {LIMITE_BYTES}."
        return None

    async def _conocer_topicos(self, topicos: set[str]) -> None:
        if topicos <= self._topicos:
            return
        self._topicos = set((await self.productor.client.fetch_all_metadata()).topics())

    async def _apartar(self, conn: asyncpg.Connection, apartadas: list) -> None:
        await conn.executemany(
            """INSERT INTO outbox_apartados (id, topico, llave, valor, cabeceras, error, creado_en)
               SELECT id, topico, llave, valor, cabeceras, $2, creado_en FROM outbox WHERE id = $1""",
            [(f["id"], error[:2000]) for f, error in apartadas])
        await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [f["id"] for f, _ in apartadas])
        for f, error in apartadas:
            log.error("relay %s: fila %s apartada (%s): %s", self.esquema, f["id"], f["topico"], error)
            if self.al_apartar:
                self.al_apartar(f["topico"])

    async def _esperar(self, segundos: float) -> None:
        await esperar_evento(self._despertar, segundos)
        self._despertar.clear()
