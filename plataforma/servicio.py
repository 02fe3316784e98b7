"""Arma un servicio: broker FastStream con un suscriptor por lotes, pool, migraciones, relay, tareas de fondo
y su puerto de operación (salud, métricas, AsyncAPI)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from plataforma.bd import crear_pool, migrar
from plataforma.config import Ajustes
from plataforma.consumo import ERRORES_DE_INFRAESTRUCTURA, Procesador, Reaccion
from plataforma.metricas import Metricas
from plataforma.nube import Entrada, decodificar_lote, parsear_lote
from plataforma.operacion import ServidorOperacion
from plataforma.outbox import Relay, crear_productor
from plataforma.periodico import PENDIENTES
from plataforma.topicos import Topicos

log = logging.getLogger(__name__)

Tarea = Callable[["Servicio"], Awaitable[None]]


@dataclass
class Servicio:
    """Un servicio de ALVA: consume por patrón, reacciona en transacción y publica sólo por su outbox."""

    nombre: str
    patron: str
    reacciones: dict[str, Reaccion]
    carpeta_sql: Path
    ajustes: Ajustes
    guardian_ingreso: bool = False
    tareas: list[Tarea] = field(default_factory=list)
    al_arrancar: list[Tarea] = field(default_factory=list)  # tras migrar, antes de consumir
    pool: asyncpg.Pool | None = None
    relay: Relay | None = None
    _fondo: list[asyncio.Task] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.metricas = Metricas(self.nombre)
        self.procesador = Procesador(self.nombre, self.reacciones, self.guardian_ingreso, metricas=self.metricas)
        self.topicos = Topicos(self.ajustes.kafka_bootstrap_servers, self.ajustes.particiones, self.ajustes.replicacion)
        self.broker = KafkaBroker(
            self.ajustes.kafka_bootstrap_servers,
            client_id=f"alva-{self.nombre}",
            metadata_max_age_ms=self.ajustes.metadata_max_age_ms,
            middlewares=[self.metricas.middleware],
        )
        self.broker.subscriber(
            pattern=self.patron,
            group_id=f"alva-{self.nombre}",
            batch=True,
            max_records=self.ajustes.lote_max,
            batch_timeout_ms=self.ajustes.lote_espera_ms,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,  # el offset avanza sólo si la transacción confirmó
            parser=parsear_lote,
            decoder=decodificar_lote,
            title=f"alva-{self.nombre}",
            description=f"Eventos que consume {self.nombre}",
        )(self.consumir)
        self.app = FastStream(self.broker, specification=AsyncAPI(
            title=f"ALVA {self.nombre}", description=f"El servicio {self.nombre} de ALVA: qué consume."))
        self.operacion = ServidorOperacion(self)
        self.app.on_startup(self.arrancar)
        self.app.after_shutdown(self.detener)

    async def consumir(self, entradas: list[Entrada]) -> None:
        """Suscriptor delgado: el lote a la transacción; luego despierta al relay."""
        try:
            await self.procesador.procesar_lote(self.pool, entradas)
        except ERRORES_DE_INFRAESTRUCTURA as e:
            log.warning("%s: lote deshecho por falla de infraestructura, se reintenta: %s", self.nombre, e)
            await asyncio.sleep(1.0)  # sin martillar a PostgreSQL mientras vuelve
            raise
        self.relay.despertar()

    @property
    def puerto_operacion_real(self) -> int | None:
        """El puerto HTTP de operación ya abierto (el elegido, si se pidió 0); None si está apagado."""
        return self.operacion.puerto

    async def arrancar(self) -> None:
        await self.operacion.abrir()  # primero: un puerto ocupado falla antes de tocar la base o Kafka
        try:
            await self._arrancar()
        except BaseException:
            await self.operacion.cerrar()
            raise

    async def _arrancar(self) -> None:
        self.pool = await crear_pool(self.ajustes.postgres_dsn, self.nombre, maximo=self.ajustes.pool_max)
        await migrar(self.pool, self.nombre, self.carpeta_sql)
        for preparar in self.al_arrancar:
            await preparar(self)
        await self.topicos.asegurar_canonicos()
        productor = crear_productor(self.ajustes.kafka_bootstrap_servers, f"alva-{self.nombre}-relay")
        await productor.start()
        self.relay = Relay(self.pool, self.nombre, productor, asegurar_topicos=self.topicos.asegurar)
        self._fondo = [asyncio.create_task(self.relay.correr(), name=f"{self.nombre}-relay")]
        tareas = [PENDIENTES, *self.tareas]
        self._fondo += [asyncio.create_task(t(self), name=f"{self.nombre}-{t.__name__}") for t in tareas]

    async def detener(self) -> None:
        await self.operacion.cerrar()
        for tarea in self._fondo:
            tarea.cancel()
        await asyncio.gather(*self._fondo, return_exceptions=True)
        if self.relay:
            await self.relay.productor.stop()
        if self.pool:
            await self.pool.close()
