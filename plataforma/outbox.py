"""Outbox transaccional: encolar en la transacción del cambio; un relay publica con acks=all e idempotencia, borra
lo que Kafka confirmó y aparta, con su error, lo que Kafka nunca aceptará, sin detener lo que viene detrás."""

import asyncio
import base64
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

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

# Mensajes por fila del outbox: una transacción grande (1,500 reportes en capacitacion son 7,500 mensajes, más de
# 7 MB) deja varias filas de a lo más ~1 MB, y ningún búfer de ese tamaño se arma de una vez.
POR_FILA = 1000
# Cuántos mensajes confirmados guarda el relay en memoria a lo más (un turno suyo); el resto lo lee de la base.
# Guardar más ahorra poco y cuesta memoria: con 6,000, capacitacion pasó de 134 a 150 MB en `make bench`.
EN_MEMORIA_MAX = 2_000
# Lo que ningún reintento arregla: el mensaje se aparta para que quien opera la vea (`alva outbox`).
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


# Una fila con hasta `POR_FILA` mensajes de una transacción, en orden; el aviso al relay va en la misma ida y vuelta.
ENCOLAR = """WITH lote AS (INSERT INTO outbox_lotes (cuantos, topicos, llaves, valores, cabeceras)
                           VALUES ($1, $2::text[], $3::bytea[], $4::bytea[], $5::text[]) RETURNING id, creado_en)
             SELECT id, creado_en, pg_notify($6, '') FROM lote"""


@dataclass(frozen=True)
class Encolado:
    """Un lote del outbox: su fila y sus mensajes en columnas, en orden."""

    id: int
    topicos: list[str]
    llaves: list[bytes | None]
    valores: list[bytes]
    cabeceras: list[str]
    creado_en: datetime


async def encolar(conn: asyncpg.Connection, esquema: str, mensajes: Iterable[Mensaje]) -> list[Encolado]:
    """Dentro de la transacción del llamador, en filas de a lo más `POR_FILA` mensajes; el relay despierta cuando
    ésta confirma. Lo encolado, para dárselo al relay una vez confirmado (`Relay.confirmados`): así no lo relee."""
    mensajes, encolados = list(mensajes), []
    for desde in range(0, len(mensajes), POR_FILA):
        parte = mensajes[desde:desde + POR_FILA]
        columnas = ([m.topico for m in parte], [m.llave for m in parte], [m.valor for m in parte],
                    [_a_json(tuple(m.cabeceras)) for m in parte])
        fila = await conn.fetchrow(ENCOLAR, len(parte), *columnas, canal(esquema))
        encolados.append(Encolado(fila["id"], *columnas, fila["creado_en"]))
    return encolados


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


class _Pendiente(NamedTuple):
    """Un mensaje de un lote del outbox: su lugar (lote, orden) y lo que se publica."""

    lote: int
    orden: int
    topico: str
    llave: bytes | None
    valor: bytes
    cabeceras: str
    creado_en: datetime


@dataclass
class _Lote:
    """Un lote de registros de aiokafka y los mensajes del outbox que lleva."""

    registros: BatchBuilder
    mensajes: list = field(default_factory=list)


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
        # Lo que este proceso encoló y confirmó, por fila, mientras este relay es el que publica: no se relee.
        self._en_memoria: dict[int, Encolado] = {}
        self._activo = False

    def despertar(self) -> None:
        self._despertar.set()

    def confirmados(self, encolados: Iterable[Encolado]) -> None:
        """Lo que el servicio acaba de encolar y confirmar: despierta al relay y, si es el que publica, se lo deja
        para que no lo relea de PostgreSQL. Sólo se usa para filas que la base sigue teniendo (ver `_tomar`)."""
        if self._activo:
            for e in encolados:
                if sum(len(m.topicos) for m in self._en_memoria.values()) + len(e.topicos) <= EN_MEMORIA_MAX:
                    self._en_memoria[e.id] = e
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
                self._activo = True
                try:
                    while not self._detenido:
                        while not self._detenido and await self.publicar_pendientes(conn):
                            pass
                        await self._esperar(self.sondeo_s)
                finally:
                    self._activo = False
                    self._en_memoria.clear()
                    if not conn.is_closed():
                        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", candado)
            finally:
                if not conn.is_closed():
                    await conn.remove_listener(canal(self.esquema), self._al_notificar)

    def _al_notificar(self, *_: object) -> None:
        self._despertar.set()

    async def publicar_pendientes(self, conn: asyncpg.Connection) -> int:
        """Un turno: publica los lotes del outbox en orden, espera cada confirmación, borra lo confirmado y aparta lo
        imposible. Cuántos mensajes salieron o se apartaron.

        Los mensajes van a Kafka en lotes de registros armados aquí, uno por partición (la misma que elegiría `send`
        por su llave), con un futuro por lote de registros y no por mensaje: lo que un lote de Kafka acepta o
        rechaza, lo acepta o rechaza entero, igual que cuando el productor juntaba los mensajes por su cuenta. Lo
        que un fallo pasajero dejó sin salir se queda en su fila, en su orden, para el siguiente turno."""
        filas = await self._tomar(conn)
        if not filas:
            return 0
        mensajes = [_Pendiente(f.id, i, *m, f.creado_en)
                    for f in filas for i, m in enumerate(zip(f.topicos, f.llaves, f.valores, f.cabeceras, strict=True))]
        await self._conocer_topicos({m.topico for m in mensajes})
        hechos: set[tuple[int, int]] = set()  # (lote, orden) de lo que salió o se apartó
        apartadas, fallo = [], None
        por_particion: dict[tuple[str, int], list[_Pendiente]] = {}
        particiones: dict[tuple[str, bytes | None], int] = {}
        for m in mensajes:
            if (problema := self._imposible(m)) is not None:
                apartadas.append((m, problema))
                continue
            try:
                particion = await self._particion(m.topico, m.llave, particiones)
            except PERMANENTES as e:
                apartadas.append((m, f"{type(e).__name__}: {e}"))
                continue
            por_particion.setdefault((m.topico, particion), []).append(m)
        envios = []  # (mensajes del lote de registros, futuro)
        for (topico, particion), grupo in por_particion.items():
            for lote in self._lotes(grupo):
                try:
                    envios.append((lote, await self.productor.send_batch(lote.registros, topico,
                                                                         partition=particion)))
                except PERMANENTES as e:
                    apartadas += [(m, f"{type(e).__name__}: {e}") for m in lote.mensajes]
        resultados = await asyncio.gather(*(futuro for _, futuro in envios), return_exceptions=True)
        enviados = 0
        for (lote, _), resultado in zip(envios, resultados, strict=True):
            if not isinstance(resultado, BaseException):
                hechos.update((m.lote, m.orden) for m in lote.mensajes)
                enviados += len(lote.mensajes)
            elif isinstance(resultado, PERMANENTES):
                apartadas += [(m, f"{type(resultado).__name__}: {resultado}") for m in lote.mensajes]
            else:
                fallo = fallo or resultado
        hechos.update((m.lote, m.orden) for m, _ in apartadas)
        async with conn.transaction():
            await self._quitar(conn, filas, mensajes, hechos)
            if apartadas:
                await self._apartar(conn, apartadas)
        self.publicados += enviados
        if self.al_publicar and enviados:
            self.al_publicar(enviados)
        if fallo is not None:  # transitorio: lo que no salió se reintenta en el siguiente turno
            raise fallo if isinstance(fallo, Exception) else KafkaError(str(fallo))
        return len(hechos)

    async def _tomar(self, conn: asyncpg.Connection) -> list[Encolado]:
        """Los primeros lotes del outbox hasta juntar `lote` mensajes (al menos uno, aunque tenga más).

        Qué filas y en qué orden lo dice siempre la base; el contenido de las que este proceso encoló y ofreció se
        toma de la memoria (es el mismo: una fila sólo cambia aquí, y entonces se olvida), el de las demás se lee."""
        cabezas = await conn.fetch("SELECT id, cuantos FROM outbox_lotes ORDER BY id LIMIT 64")
        ids, juntos = [], 0
        for c in cabezas:
            if ids and juntos + c["cuantos"] > self.lote:
                break
            ids.append(c["id"])
            juntos += c["cuantos"]
        for viejo in [i for i in self._en_memoria if not ids or i < ids[0]]:  # ya salió (o nunca se confirmó)
            del self._en_memoria[viejo]
        if not ids:
            return []
        tomados = {i: self._en_memoria[i] for i in ids if i in self._en_memoria}
        if faltan := [i for i in ids if i not in tomados]:
            for f in await conn.fetch("""SELECT id, topicos, llaves, valores, cabeceras, creado_en FROM outbox_lotes
                                         WHERE id = ANY($1::bigint[])""", faltan):
                tomados[f["id"]] = Encolado(*f)
        return [tomados[i] for i in ids if i in tomados]

    async def _quitar(self, conn: asyncpg.Connection, filas: list[Encolado], mensajes: list["_Pendiente"],
                      hechos: set[tuple[int, int]]) -> None:
        """Borra cada lote que salió entero; uno que salió en parte se queda sólo con lo que falta, en su orden (y
        el relay olvida su copia de ambos); uno del que nada salió sigue igual."""
        faltan: dict[int, list[_Pendiente]] = {}
        for m in mensajes:
            if (m.lote, m.orden) not in hechos:
                faltan.setdefault(m.lote, []).append(m)
        listos = []
        for f in filas:
            resto = faltan.get(f.id, [])
            if len(resto) == len(f.topicos):
                continue
            self._en_memoria.pop(f.id, None)
            if not resto:
                listos.append(f.id)
            else:
                await conn.execute(
                    """UPDATE outbox_lotes SET cuantos = $2, topicos = $3, llaves = $4, valores = $5, cabeceras = $6
                       WHERE id = $1""", f.id, len(resto), [m.topico for m in resto], [m.llave for m in resto],
                    [m.valor for m in resto], [m.cabeceras for m in resto])
        if listos:
            await conn.execute("DELETE FROM outbox_lotes WHERE id = ANY($1::bigint[])", listos)

    async def _particion(self, topico: str, llave: bytes | None, conocidas: dict) -> int:
        """La partición que `send` elegiría (el particionador del productor), una vez por llave y turno."""
        if llave is not None and (topico, llave) in conocidas:
            return conocidas[topico, llave]
        await self.productor.client._wait_on_metadata(topico)  # noqa: SLF001 - lo mismo que hace `send`
        particion = self.productor._partition(topico, None, None, None, llave, None)  # noqa: SLF001
        if llave is not None:
            conocidas[topico, llave] = particion
        return particion

    def _lotes(self, grupo: list["_Pendiente"]) -> Iterator["_Lote"]:
        """Los mensajes de una partición, en orden, en lotes de registros de a lo más `max_batch_size` bytes (un
        mensaje más grande va solo en el suyo)."""
        lote = _Lote(self.productor.create_batch())
        for m in grupo:
            cabeceras = list(_de_json(m.cabeceras))  # el armador de aiokafka pide una lista
            if lote.registros.append(key=m.llave, value=m.valor, timestamp=None, headers=cabeceras) is None:
                yield lote
                lote = _Lote(self.productor.create_batch())
                lote.registros.append(key=m.llave, value=m.valor, timestamp=None, headers=cabeceras)
            lote.mensajes.append(m)
        if lote.mensajes:
            yield lote

    def _imposible(self, m: "_Pendiente") -> str | None:
        if m.topico not in self._topicos:
            return (f"El tópico {m.topico} no existe o este servicio no tiene permiso de escribir en él; "
                    "los tópicos los crea la preparación de la plataforma o el alta de una institución.")
        tamano = len(m.valor) + len(m.llave or b"") + len(m.cabeceras)
        if tamano > LIMITE_BYTES + 32 * 1024:
            return f"El mensaje mide {tamano} bytes; el broker no acepta más de {LIMITE_BYTES}."
        return None

    async def _conocer_topicos(self, topicos: set[str]) -> None:
        if topicos <= self._topicos:
            return
        self._topicos = set((await self.productor.client.fetch_all_metadata()).topics())

    async def _apartar(self, conn: asyncpg.Connection, apartadas: list) -> None:
        """Cada mensaje imposible, a `outbox_apartados` con su error y un número propio (de la serie del outbox)."""
        ids = [f["id"] for f in await conn.fetch(
            "SELECT nextval(pg_get_serial_sequence('outbox_lotes', 'id')) AS id FROM generate_series(1, $1)",
            len(apartadas))]
        await conn.executemany(
            """INSERT INTO outbox_apartados (id, topico, llave, valor, cabeceras, error, creado_en)
               VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)""",
            [(i, m.topico, m.llave, m.valor, m.cabeceras, error[:2000], m.creado_en)
             for i, (m, error) in zip(ids, apartadas, strict=True)])
        for i, (m, error) in zip(ids, apartadas, strict=True):
            log.error("relay %s: mensaje apartado como %s (%s): %s", self.esquema, i, m.topico, error)
            if self.al_apartar:
                self.al_apartar(m.topico)

    async def _esperar(self, segundos: float) -> None:
        await esperar_evento(self._despertar, segundos)
        self._despertar.clear()
