"""Outbox transaccional: encolar en la transacción del cambio; un relay publica con acks=all e idempotencia."""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaProducer

from esquemas import CloudEvent
from plataforma.nube import cabeceras_kafka

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mensaje:
    topico: str
    llave: bytes | None
    valor: bytes
    cabeceras: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def de_evento(cls, topico: str, evento: CloudEvent) -> "Mensaje":
        return cls(topico, evento.llave, evento.a_json(), tuple(cabeceras_kafka(evento)))


def canal(esquema: str) -> str:
    return f"outbox_{esquema}"


async def encolar(conn: asyncpg.Connection, esquema: str, mensajes: Iterable[Mensaje]) -> int:
    """Dentro de la transacción del llamador; el relay despierta cuando ésta confirma."""
    filas = [
        (m.topico, m.llave, m.valor, json.dumps([[k, v.decode("utf-8", "replace")] for k, v in m.cabeceras]))
        for m in mensajes
    ]
    if filas:
        await conn.copy_records_to_table("outbox", records=filas, columns=["topico", "llave", "valor", "cabeceras"])
        await conn.execute("SELECT pg_notify($1, '')", canal(esquema))
    return len(filas)


def crear_productor(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    """aiokafka por defecto usa acks=1 y sin idempotencia; aquí, ambos explícitos."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=1024 * 1024,
        max_request_size=4 * 1024 * 1024,
        request_timeout_ms=30000,
    )


class Relay:
    """Publica lo encolado en orden, lo borra al confirmarse, y espera NOTIFY o un sondeo."""

    def __init__(self, pool: asyncpg.Pool, esquema: str, productor: AIOKafkaProducer, *, lote: int = 1000,
                 sondeo_s: float = 1.0, al_publicar: Callable[[int], None] | None = None,
                 asegurar_topicos: Callable[[set[str]], Awaitable[object]] | None = None) -> None:
        self.pool, self.esquema, self.productor = pool, esquema, productor
        self.asegurar_topicos = asegurar_topicos
        self.lote, self.sondeo_s, self.al_publicar = lote, sondeo_s, al_publicar
        self._despertar = asyncio.Event()
        self.publicados = 0

    def despertar(self) -> None:
        self._despertar.set()

    async def correr(self) -> None:
        """Hasta que lo cancelen; un fallo de Kafka o PostgreSQL se reintenta, nunca se pierde lo encolado."""
        while True:
            try:
                await self._turno()
            except Exception as e:  # noqa: BLE001 - el relay no muere: reintenta
                log.warning("relay %s: no se pudo publicar, se reintenta: %s", self.esquema, e)
                await asyncio.sleep(1.0)

    async def _turno(self) -> None:
        """Un solo relay activo por esquema (candado consultivo); los demás esperan de reserva."""
        candado = f"relay:{self.esquema}"
        async with self.pool.acquire() as conn:
            await conn.add_listener(canal(self.esquema), self._al_notificar)
            try:
                while not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", candado):
                    await self._esperar()
                try:
                    while True:
                        while await self.publicar_pendientes(conn):
                            pass
                        await self._esperar()
                finally:
                    if not conn.is_closed():
                        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", candado)
            finally:
                if not conn.is_closed():
                    await conn.remove_listener(canal(self.esquema), self._al_notificar)

    def _al_notificar(self, *_: object) -> None:
        self._despertar.set()

    async def publicar_pendientes(self, conn: asyncpg.Connection) -> int:
        """Un lote: publica todo, espera todas las confirmaciones, luego borra. Devuelve cuántos."""
        filas = await conn.fetch(
            "SELECT id, topico, llave, valor, cabeceras FROM outbox ORDER BY id LIMIT $1", self.lote
        )
        if not filas:
            return 0
        if self.asegurar_topicos:  # p. ej. el primer <tópico>.dlq, donde Kafka no crea tópicos solo
            await self.asegurar_topicos({f["topico"] for f in filas})
        envios = [
            await self.productor.send(
                f["topico"], f["valor"], key=f["llave"],
                headers=[(k, v.encode()) for k, v in json.loads(f["cabeceras"])],
            )
            for f in filas
        ]
        await asyncio.gather(*envios)
        await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [f["id"] for f in filas])
        self.publicados += len(filas)
        if self.al_publicar:
            self.al_publicar(len(filas))
        return len(filas)

    async def _esperar(self) -> None:
        try:
            await asyncio.wait_for(self._despertar.wait(), self.sondeo_s)
        except TimeoutError:
            pass
        self._despertar.clear()
