"""Reconstruir lo que un servicio sabe, desde los tópicos: su esquema se aparta como respaldo, uno nuevo se llena
repitiendo sus entradas en el orden en que el broker las anotó, y nada se publica otra vez (los hechos ya están en
los tópicos, con los mismos ids). Lo operativo en curso (outbox, entregas) se conserva del respaldo."""

import asyncio
import heapq
from collections import deque
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import CoordinatorLoadInProgressError, GroupCoordinatorNotAvailableError, NotCoordinatorError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from plataforma import registros as _registros  # noqa: F401 - aiokafka lee cualquier registro que Kafka acepte
from plataforma.bd import crear_pool, migrar
from plataforma.consumo import Procesador
from plataforma.contexto import Contexto
from plataforma.grupos import describir_grupo
from plataforma.nube import Entrada

log = logging.getLogger(__name__)

OPERATIVAS = ("outbox_lotes", "outbox_apartados")  # lo que aún debe salir: se conserva tal cual
LOTE = 2000


class ServicioEnMarcha(RuntimeError):
    """El servicio sigue consumiendo: reconstruir mientras corre mezclaría dos historias."""


@dataclass
class Informe:
    servicio: str
    eventos: int = 0
    segundos: float = 0.0
    respaldo: str = ""
    tablas: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # tabla → (antes, ahora, diferentes)

    @property
    def iguales(self) -> bool:
        return all(diferentes == 0 for _, _, diferentes in self.tablas.values())


async def reconstruir(servicio, opciones_kafka: dict, *, avisar=print) -> Informe:
    """`servicio`: un `plataforma.servicio.Servicio` construido y sin arrancar; `opciones_kafka`: de quien lee todo
    (quien opera). Deja el esquema nuevo en su lugar y el anterior como `<esquema>_respaldo`."""
    inicio, informe = time.monotonic(), Informe(servicio.nombre, respaldo=f"{servicio.nombre}_respaldo")
    hasta = await _hasta_donde(servicio, opciones_kafka)
    avisar(f"{servicio.nombre}: {sum(hasta.values())} entradas por repetir en {len(hasta)} particiones")
    pool = await _esquema_nuevo(servicio, informe.respaldo)
    servicio.pool = pool
    try:
        for preparar in servicio.al_reconstruir:
            await preparar(servicio)
        procesador = _procesador_de_reconstruccion(servicio)
        propias: list[str] = []  # lo que leyó de su propio tópico: lo aprende, pero nunca lo había consumido
        async for lote in _en_orden(opciones_kafka, hasta, procesador):
            await procesador.procesar_lote(pool, lote)
            propias += [e.clave_inbox for e in lote if e.topico == servicio.propio and e.evento is not None]
            informe.eventos += len(lote)
            if informe.eventos % (LOTE * 25) < len(lote):
                avisar(f"{servicio.nombre}: {informe.eventos} de {sum(hasta.values())}")
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM inbox WHERE evento_id = ANY($1::text[])", propias)
        await _transiciones_por_tiempo(servicio, procesador, pool)
        for ajustar in servicio.tras_reconstruir:
            await ajustar(servicio)
        informe.tablas = await comparar(pool, servicio.nombre, informe.respaldo,
                                        (*OPERATIVAS, *servicio.operativas))
    finally:
        servicio.pool = None
        await pool.close()
    informe.segundos = time.monotonic() - inicio
    return informe


async def _hasta_donde(servicio, opciones: dict) -> dict[TopicPartition, int]:
    """Lo que el servicio ya había procesado (los offsets de su grupo): eso, y sólo eso, se repite. Al arrancar,
    sigue desde ahí mismo."""
    admin = AIOKafkaAdminClient(**opciones, client_id="alva-reconstruccion")
    await admin.start()
    try:
        grupo = f"alva-{servicio.nombre}"
        async for intento in _mientras_el_coordinador_despierta():
            with intento:
                _, miembros = await describir_grupo(admin, grupo)
                confirmados = await admin.list_consumer_group_offsets(grupo)
        if miembros:
            raise ServicioEnMarcha(f"{servicio.nombre} tiene {miembros} instancia(s) consumiendo; deténgalo primero "
                                   f"(alva servicios detener {servicio.nombre}).")
        patron = re.compile(servicio.patron)
        propios = {servicio.propio} if servicio.propio else set()
        topicos = [t for t in await admin.list_topics() if patron.match(t) or t in propios]
    finally:
        await admin.close()
    lector = AIOKafkaConsumer(**opciones, enable_auto_commit=False)
    await lector.start()
    try:
        tps = [TopicPartition(t, p) for t in topicos for p in (lector.partitions_for_topic(t) or
                                                              await _particiones(lector, t))]
        finales = await lector.end_offsets(tps) if tps else {}
    finally:
        await lector.stop()
    hasta = {}
    for tp in tps:
        if tp.topic in propios:
            hasta[tp] = finales[tp]  # su propio tópico, entero: lo que ya publicó
        elif (om := confirmados.get(tp)) is not None and om.offset > 0:
            hasta[tp] = om.offset
    return {tp: fin for tp, fin in hasta.items() if fin > 0}


def _mientras_el_coordinador_despierta() -> AsyncRetrying:
    """Un broker recién arrancado aún no tiene coordinador de grupos (crea __consumer_offsets al primer uso)."""
    return AsyncRetrying(retry=retry_if_exception_type((GroupCoordinatorNotAvailableError,
                                                        CoordinatorLoadInProgressError, NotCoordinatorError)),
                         wait=wait_exponential(multiplier=0.2, max=3), stop=stop_after_delay(60), reraise=True)


async def _particiones(lector: AIOKafkaConsumer, topico: str) -> set[int]:
    await lector._client.force_metadata_update()  # noqa: SLF001 - aiokafka sólo da las particiones de lo conocido
    return lector.partitions_for_topic(topico) or set()


async def _esquema_nuevo(servicio, respaldo: str) -> asyncpg.Pool:
    """Aparta el esquema como respaldo (el anterior respaldo se descarta), crea uno vacío y le pasa lo operativo.

    Antes, el esquema actual recibe las migraciones que le falten, como al arrancar el servicio: lo operativo se
    copia tal cual, así que ambos tienen que tener la misma forma (p. ej. tras actualizar ALVA sin haber arrancado
    el servicio)."""
    nombre = servicio.nombre
    conn = await asyncpg.connect(servicio.ajustes.postgres_dsn)
    try:
        if await conn.fetchval("SELECT to_regnamespace($1) IS NOT NULL", nombre):
            actual = await crear_pool(servicio.ajustes.postgres_dsn, nombre, maximo=1)
            try:
                await migrar(actual, nombre, servicio.carpeta_sql)
            finally:
                await actual.close()
        async with conn.transaction():
            existe = await conn.fetchval("SELECT to_regnamespace($1) IS NOT NULL", nombre)
            await conn.execute(f'DROP SCHEMA IF EXISTS "{respaldo}" CASCADE')
            if existe:
                await conn.execute(f'ALTER SCHEMA "{nombre}" RENAME TO "{respaldo}"')
    finally:
        await conn.close()
    pool = await crear_pool(servicio.ajustes.postgres_dsn, nombre, maximo=4)
    await migrar(pool, nombre, servicio.carpeta_sql)
    async with pool.acquire() as conn:
        if await conn.fetchval("SELECT to_regnamespace($1) IS NOT NULL", respaldo):
            for tabla in (*OPERATIVAS, *servicio.operativas):
                await conn.execute(f'INSERT INTO "{nombre}".{tabla} SELECT * FROM "{respaldo}".{tabla}')
            # La serie del outbox sigue desde donde iba: un lote nuevo no choca con uno que se trajo.
            await conn.execute(f"""SELECT setval(pg_get_serial_sequence('"{nombre}".outbox_lotes', 'id'),
                                                 greatest((SELECT max(id) FROM "{respaldo}".outbox_lotes),
                                                          (SELECT max(id) FROM "{respaldo}".outbox_apartados), 1))""")
    return pool


def _procesador_de_reconstruccion(servicio) -> Procesador:
    """El mismo procesador, con las reacciones a sus propios hechos, sin publicar y sin tocar lo operativo."""
    fabrica, operativas = servicio.repositorio, servicio.operativas

    def repositorio(conn):
        repo = fabrica(conn)
        for tabla in operativas:
            if tabla in repo.tablas:
                repo.tablas[tabla].descartada = True
        return repo

    procesador = Procesador(servicio.nombre, {**servicio.reacciones, **servicio.propias}, repositorio,
                            guardian_ingreso=servicio.guardian_ingreso,
                            plazo_pendientes_s=servicio.ajustes.pendientes_plazo_s)
    procesador.publicar = False
    return procesador


async def _en_orden(opciones: dict, hasta: dict[TopicPartition, int], procesador: Procesador):
    """Las entradas de todas las particiones, mezcladas por la hora del broker (y tópico, partición, offset), en
    lotes: el orden en que ocurrieron, no el azar de cómo se leyeron."""
    if not hasta:
        return
    lector = AIOKafkaConsumer(**opciones, enable_auto_commit=False, max_partition_fetch_bytes=4 << 20)
    await lector.start()
    try:
        lector.assign(list(hasta))
        await lector.seek_to_beginning(*hasta)
        colas: dict[TopicPartition, deque] = {tp: deque() for tp in hasta}
        por_leer = set(hasta)

        async def llenar(tps: list[TopicPartition]) -> None:
            """Hasta que cada una tenga algo en su cola o ya no le quede nada por leer."""
            while tps := [tp for tp in tps if not colas[tp] and tp in por_leer]:
                for tp, registros in (await lector.getmany(*tps, timeout_ms=1000, max_records=50_000)).items():
                    colas[tp].extend(r for r in registros if r.offset < hasta[tp])
                for tp in tps:
                    if await lector.position(tp) >= hasta[tp]:
                        por_leer.discard(tp)

        await llenar(list(hasta))
        monton = [_cabeza(tp, colas[tp][0]) for tp in hasta if colas[tp]]
        heapq.heapify(monton)
        lote: list[Entrada] = []
        while monton:
            *_, tp = heapq.heappop(monton)
            lote.append(procesador.leer(colas[tp].popleft()))
            if not colas[tp]:
                await llenar([tp])
            if colas[tp]:
                heapq.heappush(monton, _cabeza(tp, colas[tp][0]))
            if len(lote) >= LOTE:
                yield lote
                lote = []
        if lote:
            yield lote
    finally:
        await lector.stop()


def _cabeza(tp: TopicPartition, registro) -> tuple:
    return registro.timestamp, tp.topic, tp.partition, registro.offset, tp


async def _transiciones_por_tiempo(servicio, procesador: Procesador, pool: asyncpg.Pool) -> None:
    """Lo que el tiempo ya cambió (vencimientos, reportes que esperaron de más), sin publicar nada."""
    ahora = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        await procesador.rechazar_vencidos(conn, servicio.ajustes.pendientes_plazo_s, ahora)
        for tarea in servicio.tareas:
            if not getattr(tarea, "reconstruye", False):
                continue  # avisos y resúmenes: efectos afuera, no estado
            nombre, funcion = tarea.__name__, tarea.funcion
            repo = procesador.repositorio(conn)
            await funcion(Contexto(repo, servicio.nombre, None, ahora, tarea=nombre), servicio.ajustes)
            await repo.confirmar()


async def comparar(pool: asyncpg.Pool, esquema: str, respaldo: str, excluir: tuple[str, ...]) -> dict:
    """Por tabla del esquema nuevo: (filas en el respaldo, filas ahora, filas que están en uno y no en el otro)."""
    async with pool.acquire() as conn:
        if not await conn.fetchval("SELECT to_regnamespace($1) IS NOT NULL", respaldo):
            return {}
        tablas = [f["tablename"] for f in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", esquema)]
        salida = {}
        for t in tablas:
            if t in excluir or t == "migraciones":
                continue
            columnas = ", ".join(await _columnas_de_contenido(conn, esquema, t))
            a, b = f'"{respaldo}".{t}', f'"{esquema}".{t}'
            antes, ahora = await conn.fetchval(f"SELECT count(*) FROM {a}"), await conn.fetchval(f"SELECT count(*) FROM {b}")
            diferentes = await conn.fetchval(
                f"SELECT count(*) FROM ((SELECT {columnas} FROM {a} EXCEPT ALL SELECT {columnas} FROM {b}) UNION ALL "
                f"(SELECT {columnas} FROM {b} EXCEPT ALL SELECT {columnas} FROM {a})) d")
            salida[t] = (antes, ahora, diferentes)
        return salida


async def _columnas_de_contenido(conn: asyncpg.Connection, esquema: str, tabla: str) -> list[str]:
    """Las columnas de la tabla salvo los números de serie (el id de una fila aparcada no es contenido: depende
    de cuántas veces se aparcó y reanudó); una columna json (sin igualdad en SQL) se compara como texto."""
    filas = await conn.fetch(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_schema = $1 AND table_name = $2
             AND coalesce(column_default, '') NOT LIKE 'nextval(%' AND is_identity = 'NO'
           ORDER BY ordinal_position""", esquema, tabla)
    return [f'"{f["column_name"]}"::text' if f["data_type"] == "json" else f'"{f["column_name"]}"' for f in filas]


async def correr(servicio, opciones_kafka: dict, *, avisar=print) -> Informe:
    try:
        return await reconstruir(servicio, opciones_kafka, avisar=avisar)
    except asyncio.CancelledError:
        log.warning("%s: reconstrucción interrumpida; el respaldo sigue en %s_respaldo", servicio.nombre,
                    servicio.nombre)
        raise
