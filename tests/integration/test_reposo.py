"""En reposo un consumidor casi no pide nada al broker, y aun así lo que llega se lee enseguida; con trabajo vuelve a
juntar lotes. Contra el broker real: la espera larga la cumple (o la corta) el broker, no el cliente."""

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer

from plataforma import topicos
from plataforma.outbox import crear_productor
from plataforma.reposo import Reposo
from tests.conftest import unico

pytestmark = pytest.mark.integration

BYTES_LOTE, ESPERA_LOTE_MS, ESPERA_REPOSO_MS = 256 * 1024, 50, 30_000


async def _contar_pedidos(pedidor, segundos: float) -> int:
    """Cuántas respuestas de fetch procesa el consumidor en `segundos` (cada una, una petición al broker)."""
    original, cuenta = pedidor._proc_fetch_request, [0]

    async def contando(*a, **k):
        cuenta[0] += 1
        return await original(*a, **k)

    pedidor._proc_fetch_request = contando
    try:
        await asyncio.sleep(segundos)  # una ventana de tiempo: lo que se mide es cuántas peticiones caben en ella
    finally:
        pedidor._proc_fetch_request = original
    return cuenta[0]


async def test_en_reposo_casi_no_pide_y_lo_que_llega_se_lee_enseguida(infra):
    topico = unico("reposo")
    await topicos.crear(infra.opciones(), [topico], particiones=1)
    lector = AIOKafkaConsumer(topico, **infra.opciones(), group_id=unico("reposo"), auto_offset_reset="earliest",
                              fetch_min_bytes=BYTES_LOTE, fetch_max_wait_ms=ESPERA_LOTE_MS)
    productor = crear_productor(infra.opciones(), unico("reposo"))
    await lector.start()
    await productor.start()
    try:
        limite = asyncio.get_running_loop().time() + 30
        while not lector.assignment() and asyncio.get_running_loop().time() < limite:
            await lector.getmany(timeout_ms=200)
        assert lector.assignment(), "el consumidor no recibió su partición"
        reposo = Reposo(bytes_min=BYTES_LOTE, espera_ms=ESPERA_LOTE_MS, espera_reposo_ms=ESPERA_REPOSO_MS, tras_s=1.0)
        pedidor = lector._fetcher

        trabajando = await _contar_pedidos(pedidor, 2.0)
        reposo.revisar(lector, ahora=asyncio.get_running_loop().time() + 3600)
        assert reposo.en_reposo
        assert (pedidor._fetch_min_bytes, pedidor._fetch_max_wait_ms) == (1, ESPERA_REPOSO_MS)
        await _contar_pedidos(pedidor, 0.5)  # la petición corta que iba en camino vuelve; la siguiente ya es larga
        en_reposo = await _contar_pedidos(pedidor, 2.0)
        assert trabajando >= 10 and en_reposo <= 1, (trabajando, en_reposo)

        enviado = asyncio.get_running_loop().time()
        await productor.send_and_wait(topico, b"hola")
        leido = await lector.getone()
        tardo = asyncio.get_running_loop().time() - enviado
        assert leido.value == b"hola"
        assert tardo < ESPERA_REPOSO_MS / 1000 / 3, f"el broker esperó la espera larga ({tardo:.1f} s)"

        reposo.trabajo(lector)
        assert not reposo.en_reposo
        assert (pedidor._fetch_min_bytes, pedidor._fetch_max_wait_ms) == (BYTES_LOTE, ESPERA_LOTE_MS)
    finally:
        await productor.stop()
        await lector.stop()
