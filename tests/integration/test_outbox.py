"""El outbox entrega lo confirmado, aunque el relay se detenga y vuelva, y nunca lo deshecho."""

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from plataforma import outbox
from plataforma.bd import crear_pool, migrar
from plataforma.outbox import Mensaje, Relay, crear_productor
from plataforma.topicos import Topicos
from tests.conftest import unico

pytestmark = pytest.mark.integration

ESQUEMA = "prueba_outbox"


async def _encolar(pool, *valores: bytes, topico: str, confirmar: bool = True) -> None:
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await outbox.encolar(conn, ESQUEMA, [Mensaje(topico, b"penjamo", v) for v in valores])
        await (tx.commit() if confirmar else tx.rollback())


async def _leer(infra, topico: str, cuantos: int, plazo_s: float = 30) -> list[bytes]:
    lector = AIOKafkaConsumer(topico, bootstrap_servers=infra.kafka, auto_offset_reset="earliest",
                              group_id=unico("lector"))
    await lector.start()
    vistos: list[bytes] = []
    try:
        limite = asyncio.get_running_loop().time() + plazo_s
        while len(vistos) < cuantos and asyncio.get_running_loop().time() < limite:
            for registros in (await lector.getmany(timeout_ms=500)).values():
                vistos += [r.value for r in registros]
    finally:
        await lector.stop()
    return vistos


async def _relay(infra, pool) -> tuple[Relay, asyncio.Task]:
    productor = crear_productor(infra.kafka, "prueba-relay")
    await productor.start()
    relay = Relay(pool, ESQUEMA, productor, sondeo_s=0.2)
    return relay, asyncio.create_task(relay.correr())


async def _parar(relay: Relay, tarea: asyncio.Task) -> None:
    tarea.cancel()
    await asyncio.gather(tarea, return_exceptions=True)
    await relay.productor.stop()


@pytest.fixture
async def pool(infra):
    p = await crear_pool(infra.postgres_dsn, ESQUEMA, maximo=6)
    await migrar(p, ESQUEMA, Path("/nonexistent"))
    yield p
    await p.close()


@pytest.fixture
async def topico(infra):
    nombre = f"alva.pruebas.{unico('outbox')}"
    await Topicos(infra.kafka, particiones=1).asegurar([nombre])
    return nombre


async def test_el_relay_entrega_lo_confirmado_tras_reiniciarse(infra, pool, topico):
    # Con el relay en marcha, lo confirmado sale.
    relay, tarea = await _relay(infra, pool)
    await _encolar(pool, b"antes", topico=topico)
    assert await _leer(infra, topico, 1) == [b"antes"]
    await _parar(relay, tarea)

    # Sin relay: una transacción confirma y otra se deshace.
    await _encolar(pool, b"durante-1", b"durante-2", topico=topico)
    await _encolar(pool, b"deshecho", topico=topico, confirmar=False)

    # Un relay nuevo entrega lo confirmado, en orden, y nada de lo deshecho.
    relay, tarea = await _relay(infra, pool)
    await _encolar(pool, b"despues", topico=topico)
    vistos = await _leer(infra, topico, 4)
    await _parar(relay, tarea)
    assert vistos == [b"antes", b"durante-1", b"durante-2", b"despues"]
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE topico = $1", topico) == 0


async def test_solo_un_relay_publica_a_la_vez(infra, pool, topico):
    uno, tarea_uno = await _relay(infra, pool)
    otro, tarea_otro = await _relay(infra, pool)
    esperados = [f"m{i}".encode() for i in range(20)]
    for valor in esperados:
        await _encolar(pool, valor, topico=topico)
    vistos = await _leer(infra, topico, 20)
    await _parar(uno, tarea_uno)
    await _parar(otro, tarea_otro)
    # Todo llegó una vez y en orden: un relay tenía el candado consultivo, el otro esperaba de reserva.
    assert vistos == esperados
    assert sorted([uno.publicados, otro.publicados]) == [0, 20]
