"""El outbox entrega lo confirmado aunque el relay se detenga y vuelva, nunca lo deshecho, nunca dos veces lo que Kafka
ya aceptó, y aparta lo que Kafka no aceptará sin detener lo que viene detrás."""

import asyncio
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from alva.cli.outbox import devolver
from plataforma import outbox
from plataforma.bd import crear_pool, migrar
from plataforma.nube import LIMITE_BYTES, Mensaje
from plataforma.outbox import Relay, crear_productor
from plataforma import topicos
from tests.conftest import unico

pytestmark = pytest.mark.integration


async def _encolar(pool, esquema: str, *valores: bytes, topico: str, confirmar: bool = True) -> None:
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await outbox.encolar(conn, esquema, [Mensaje(topico, b"penjamo", v) for v in valores])
        await (tx.commit() if confirmar else tx.rollback())


async def _leer(infra, topico: str, cuantos: int, plazo_s: float = 30) -> list[bytes]:
    lector = AIOKafkaConsumer(topico, **infra.opciones(), auto_offset_reset="earliest",
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


async def _relay(infra, pool, esquema: str) -> tuple[Relay, asyncio.Task]:
    productor = crear_productor(infra.opciones(), "prueba-relay")
    await productor.start()
    relay = Relay(pool, esquema, productor, sondeo_s=0.2)
    return relay, asyncio.create_task(relay.correr())


async def _parar(relay: Relay, tarea: asyncio.Task) -> None:
    """Como al detener un servicio: el relay termina el lote en curso y vuelve."""
    relay.detener()
    await asyncio.wait_for(tarea, 30)
    await relay.productor.stop()


async def _vacio(pool, plazo_s: float = 30) -> None:
    limite = asyncio.get_running_loop().time() + plazo_s
    while True:
        async with pool.acquire() as conn:
            if not await conn.fetchval("SELECT count(*) FROM outbox"):
                return
        if asyncio.get_running_loop().time() > limite:
            raise TimeoutError("el outbox no se vació")
        await asyncio.sleep(0.05)


@pytest.fixture
async def esquema(infra):
    nombre = f"prueba_outbox_{unico('o').replace('-', '_')}"
    p = await crear_pool(infra.postgres_dsn, nombre, maximo=6)
    await migrar(p, nombre, Path("/nonexistent"))
    yield nombre, p
    async with p.acquire() as conn:
        await conn.execute(f'DROP SCHEMA "{nombre}" CASCADE')
    await p.close()


@pytest.fixture
async def topico(infra):
    nombre = f"alva.pruebas.{unico('outbox')}"
    await topicos.crear(infra.opciones(), [nombre], particiones=1)
    return nombre


async def test_el_relay_entrega_lo_confirmado_tras_reiniciarse(infra, esquema, topico):
    nombre, pool = esquema
    # Con el relay en marcha, lo confirmado sale.
    relay, tarea = await _relay(infra, pool, nombre)
    await _encolar(pool, nombre, b"antes", topico=topico)
    assert await _leer(infra, topico, 1) == [b"antes"]
    await _vacio(pool)
    await _parar(relay, tarea)

    # Sin relay: una transacción confirma y otra se deshace.
    await _encolar(pool, nombre, b"durante-1", b"durante-2", topico=topico)
    await _encolar(pool, nombre, b"deshecho", topico=topico, confirmar=False)

    # Un relay nuevo entrega lo confirmado, en orden, y nada de lo deshecho ni nada dos veces.
    relay, tarea = await _relay(infra, pool, nombre)
    await _encolar(pool, nombre, b"despues", topico=topico)
    vistos = await _leer(infra, topico, 4)
    await _vacio(pool)
    await _parar(relay, tarea)
    assert vistos == [b"antes", b"durante-1", b"durante-2", b"despues"]


async def test_detenerlo_en_pleno_envio_termina_el_lote_y_no_reenvia(infra, esquema, topico):
    nombre, pool = esquema
    esperados = [f"m{i}".encode() for i in range(300)]
    await _encolar(pool, nombre, *esperados, topico=topico)
    relay, tarea = await _relay(infra, pool, nombre)
    while relay.publicados == 0 and not tarea.done():  # ya publica: lo detenemos en pleno lote
        await asyncio.sleep(0)
    await _parar(relay, tarea)
    relay, tarea = await _relay(infra, pool, nombre)
    await _vacio(pool)
    await _parar(relay, tarea)
    assert await _leer(infra, topico, len(esperados) + 1, plazo_s=5) == esperados


async def test_solo_un_relay_publica_a_la_vez(infra, esquema, topico):
    nombre, pool = esquema
    uno, tarea_uno = await _relay(infra, pool, nombre)
    otro, tarea_otro = await _relay(infra, pool, nombre)
    esperados = [f"m{i}".encode() for i in range(20)]
    for valor in esperados:
        await _encolar(pool, nombre, valor, topico=topico)
    vistos = await _leer(infra, topico, 20)
    await _vacio(pool)
    await _parar(uno, tarea_uno)
    await _parar(otro, tarea_otro)
    # Todo llegó una vez y en orden: un relay tenía el candado consultivo, el otro esperaba de reserva.
    assert vistos == esperados
    assert sorted([uno.publicados, otro.publicados]) == [0, 20]


async def test_lo_que_kafka_no_aceptara_se_aparta_y_lo_demas_sigue(infra, esquema, topico):
    nombre, pool = esquema
    huerfano = f"alva.pruebas.{unico('no-existe')}"
    relay, tarea = await _relay(infra, pool, nombre)
    try:
        await _encolar(pool, nombre, b"uno", b"x" * (LIMITE_BYTES + 100_000), b"dos", topico=topico)
        async with pool.acquire() as conn, conn.transaction():
            await outbox.encolar(conn, nombre, [Mensaje(huerfano, b"k", b"huerfano"), Mensaje(topico, b"k", b"tres")])
        assert await _leer(infra, topico, 3) == [b"uno", b"dos", b"tres"]
        await _vacio(pool)
        async with pool.acquire() as conn:
            apartados = {f["topico"]: (f["id"], f["error"])
                         for f in await conn.fetch("SELECT id, topico, error FROM outbox_apartados")}
        assert "no existe" in apartados[huerfano][1]
        assert "bytes" in apartados[topico][1]
        # Nada se reintenta en bucle: el relay siguió, sin volver a publicar lo que Kafka ya había aceptado.
        assert relay.publicados == 3
        # Quien opera crea el tópico que faltaba y devuelve esa fila (`alva outbox reintentar`): sale, y sólo ella.
        await topicos.crear(infra.opciones(), [huerfano])
        async with pool.acquire() as conn:
            assert await devolver(conn, nombre, [apartados[huerfano][0]]) == 1
        assert await _leer(infra, huerfano, 1) == [b"huerfano"]
        await _vacio(pool)
        assert relay.publicados == 4
        async with pool.acquire() as conn:
            assert [f["topico"] for f in await conn.fetch("SELECT topico FROM outbox_apartados")] == [topico]
    finally:
        await _parar(relay, tarea)


async def test_un_lote_que_salio_en_parte_guarda_solo_lo_que_falta_en_su_orden(esquema):
    """Si un fallo pasajero deja sin salir parte de un lote (una partición sí, otra no), su fila se queda sólo con
    lo que falta, en su orden; un lote que salió entero se borra."""
    from plataforma.outbox import _Pendiente

    nombre, pool = esquema
    await _encolar(pool, nombre, b"a", b"b", b"c", b"d", topico="alva.pruebas.x")
    await _encolar(pool, nombre, b"e", topico="alva.pruebas.x")
    relay = Relay(pool, nombre, productor=None)
    async with pool.acquire() as conn:
        filas = await relay._tomar(conn)
        assert [f.valores for f in filas] == [[b"a", b"b", b"c", b"d"], [b"e"]]
        mensajes = [_Pendiente(f.id, i, *m, f.creado_en) for f in filas
                    for i, m in enumerate(zip(f.topicos, f.llaves, f.valores, f.cabeceras))]
        primero, segundo = filas[0].id, filas[1].id
        async with conn.transaction():
            await relay._quitar(conn, filas, mensajes, {(primero, 1), (primero, 2), (segundo, 0)})
        quedan = await conn.fetch("SELECT lote, valor FROM outbox ORDER BY lote, orden")
        assert [(f["lote"], f["valor"]) for f in quedan] == [(primero, b"a"), (primero, b"d")]
        assert await conn.fetchval("SELECT cuantos FROM outbox_lotes WHERE id = $1", primero) == 2


async def test_el_relay_toma_lotes_hasta_su_limite_y_al_menos_uno(esquema):
    nombre, pool = esquema
    for n in (3, 3, 5, 1):
        await _encolar(pool, nombre, *[b"v"] * n, topico="alva.pruebas.x")
    async with pool.acquire() as conn:
        assert [len(f.valores) for f in await Relay(pool, nombre, None, lote=6)._tomar(conn)] == [3, 3]
        assert [len(f.valores) for f in await Relay(pool, nombre, None, lote=2)._tomar(conn)] == [3]
        assert [len(f.valores) for f in await Relay(pool, nombre, None, lote=100)._tomar(conn)] == [3, 3, 5, 1]


async def test_cada_llave_va_a_la_particion_que_elegiria_send_y_en_orden(infra, esquema):
    """El relay arma sus lotes por partición: la de cada llave es la del particionador de aiokafka (la de siempre),
    y dentro de cada partición el orden es el del outbox, también cuando un lote no cabe en uno de Kafka."""
    from aiokafka.partitioner import DefaultPartitioner

    nombre, pool = esquema
    topico = f"alva.pruebas.{unico('outbox-particiones')}"
    await topicos.crear(infra.opciones(), [topico], particiones=3)
    llaves = [f"institucion-{k}".encode() for k in range(6)]
    grande = 300_000  # cuatro de estos no caben en un lote de 1 MiB
    mensajes = [Mensaje(topico, llaves[i % 6], f"{i}:".encode() + (b"x" * grande if i % 10 == 0 else b""))
                for i in range(120)]
    async with pool.acquire() as conn, conn.transaction():
        await outbox.encolar(conn, nombre, mensajes)
    relay, tarea = await _relay(infra, pool, nombre)
    try:
        await _vacio(pool)
    finally:
        await _parar(relay, tarea)
    lector = AIOKafkaConsumer(topico, **infra.opciones(), auto_offset_reset="earliest", group_id=unico("lector"),
                              max_partition_fetch_bytes=8 << 20)
    await lector.start()
    vistos = []
    try:
        limite = asyncio.get_running_loop().time() + 30
        while len(vistos) < len(mensajes) and asyncio.get_running_loop().time() < limite:
            for registros in (await lector.getmany(timeout_ms=500)).values():
                vistos += registros
    finally:
        await lector.stop()
    assert len(vistos) == len(mensajes)
    particionar = DefaultPartitioner()
    for registro in vistos:
        assert registro.partition == particionar(registro.key, [0, 1, 2], [0, 1, 2])
    for particion in {r.partition for r in vistos}:
        numeros = [int(r.value.split(b":")[0]) for r in sorted(vistos, key=lambda r: r.offset)
                   if r.partition == particion]
        assert numeros == sorted(numeros)
    assert relay.publicados == len(mensajes)


async def test_el_relay_toma_de_memoria_lo_ofrecido_solo_si_la_base_aun_lo_tiene(esquema):
    """Lo que el servicio confirmó y ofreció no se relee; qué filas salen lo dice siempre la base: lo ofrecido de
    una transacción deshecha nunca sale, y lo que ya salió se olvida."""
    from dataclasses import replace

    nombre, pool = esquema
    relay = Relay(pool, nombre, productor=None)
    relay._activo = True  # como cuando tiene el candado
    async with pool.acquire() as conn:
        async with conn.transaction():
            [confirmado] = await outbox.encolar(conn, nombre, [Mensaje("alva.pruebas.x", b"k", b"de-la-base")])
        tx = conn.transaction()
        await tx.start()
        [deshecho] = await outbox.encolar(conn, nombre, [Mensaje("alva.pruebas.x", b"k", b"deshecho")])
        await tx.rollback()
        # Una marca distinta en la copia en memoria muestra de dónde salió el contenido.
        relay.confirmados([replace(confirmado, valores=[b"de-memoria"]), deshecho])
        assert [f.valores for f in await relay._tomar(conn)] == [[b"de-memoria"]]
        relay._en_memoria.clear()
        assert [f.valores for f in await relay._tomar(conn)] == [[b"de-la-base"]]
        async with conn.transaction():
            await conn.execute("DELETE FROM outbox_lotes")
        relay.confirmados([confirmado])
        assert await relay._tomar(conn) == [] and not relay._en_memoria
    relay._activo = False
    relay.confirmados([confirmado])  # sin el candado no guarda nada: otro relay publica
    assert not relay._en_memoria


async def test_lo_que_esperaba_en_el_outbox_de_una_fila_por_mensaje_pasa_al_de_lotes(infra):
    """Una base de antes, con mensajes aún sin publicar, los conserva en su orden al migrar."""
    from plataforma.bd import SQL_COMUN

    nombre = f"prueba_outbox_{unico('m').replace('-', '_')}"
    pool = await crear_pool(infra.postgres_dsn, nombre, maximo=2)
    try:
        async with pool.acquire() as conn:
            for archivo in sorted(SQL_COMUN.glob("000[123]_*.sql")):
                await conn.execute(archivo.read_text(encoding="utf-8"))
            await conn.executemany("INSERT INTO outbox (topico, llave, valor, cabeceras) VALUES ($1, $2, $3, $4)",
                                   [("alva.t", b"k", b"uno", '[["content-type", "application/json"]]'),
                                    ("alva.u", None, b"dos", "[]")])
            await conn.execute((SQL_COMUN / "0004_outbox_por_lotes.sql").read_text(encoding="utf-8"))
            filas = await conn.fetch(
                "SELECT topico, llave, valor, cabeceras::text AS c FROM outbox ORDER BY lote, orden")
            assert [tuple(f) for f in filas] == [("alva.t", b"k", b"uno", '[["content-type", "application/json"]]'),
                                                 ("alva.u", None, b"dos", "[]")]
            assert await conn.fetchval("SELECT sum(cuantos) FROM outbox_lotes") == 2
    finally:
        async with pool.acquire() as conn:
            await conn.execute(f'DROP SCHEMA "{nombre}" CASCADE')
        await pool.close()


async def test_una_transaccion_grande_deja_varias_filas_en_su_orden(esquema):
    nombre, pool = esquema
    async with pool.acquire() as conn, conn.transaction():
        encolados = await outbox.encolar(conn, nombre, [Mensaje("alva.pruebas.x", b"k", str(i).encode())
                                                        for i in range(2 * outbox.POR_FILA + 5)])
    assert [len(e.valores) for e in encolados] == [outbox.POR_FILA, outbox.POR_FILA, 5]
    async with pool.acquire() as conn:
        valores = [f["valor"] for f in await conn.fetch("SELECT valor FROM outbox ORDER BY lote, orden")]
    assert valores == [str(i).encode() for i in range(2 * outbox.POR_FILA + 5)]


async def test_reconstruir_un_esquema_de_antes_conserva_su_outbox_y_sigue_su_serie(infra):
    """`alva reconstruir` sobre un esquema que aún tiene el outbox de una fila por mensaje (ALVA actualizado sin
    arrancar el servicio): lo migra, lo aparta como respaldo y el esquema nuevo conserva lo que faltaba publicar;
    un lote nuevo toma un número que no choca con los traídos."""
    from types import SimpleNamespace

    from plataforma.reconstruccion import _esquema_nuevo

    nombre, pool = f"prueba_outbox_{unico('r').replace('-', '_')}", None
    try:
        viejo = await crear_pool(infra.postgres_dsn, nombre, maximo=2)
        try:
            await _esquema_de_antes(viejo)
        finally:
            await viejo.close()
        servicio = SimpleNamespace(nombre=nombre, ajustes=SimpleNamespace(postgres_dsn=infra.postgres_dsn),
                                   carpeta_sql=Path("/nonexistent"), operativas=())
        pool = await _esquema_nuevo(servicio, f"{nombre}_respaldo")
        async with pool.acquire() as conn:
            assert [f["valor"] for f in await conn.fetch("SELECT valor FROM outbox ORDER BY lote, orden")] \
                == [b"uno", b"dos"]
            traidos = [f["id"] for f in await conn.fetch("SELECT id FROM outbox_lotes")]
            async with conn.transaction():
                [nuevo] = await outbox.encolar(conn, nombre, [Mensaje("alva.t", b"k", b"tres")])
            assert nuevo.id > max(traidos)
    finally:
        if pool is not None:
            await pool.close()
        conn = await asyncpg.connect(infra.postgres_dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{nombre}" CASCADE')
            await conn.execute(f'DROP SCHEMA IF EXISTS "{nombre}_respaldo" CASCADE')
        finally:
            await conn.close()


async def _esquema_de_antes(pool) -> None:
    """Un esquema con las migraciones 0001–0003 (el outbox de una fila por mensaje) y dos mensajes esperando."""
    from plataforma.bd import SQL_COMUN

    async with pool.acquire() as conn:
        for archivo in sorted(SQL_COMUN.glob("000[123]_*.sql")):
            await conn.execute(archivo.read_text(encoding="utf-8"))
        await conn.execute("CREATE TABLE migraciones (nombre text PRIMARY KEY, aplicada_en timestamptz NOT NULL "
                           "DEFAULT now())")
        await conn.executemany("INSERT INTO migraciones (nombre) VALUES ($1)",
                               [(f"plataforma/{a.name}",) for a in sorted(SQL_COMUN.glob("000[123]_*.sql"))])
        await conn.executemany("INSERT INTO outbox (topico, llave, valor) VALUES ($1, $2, $3)",
                               [("alva.t", b"k", b"uno"), ("alva.t", b"k", b"dos")])
