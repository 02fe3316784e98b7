"""Arma un servicio: broker FastStream con un suscriptor por lotes, pool, migraciones, relay, tareas de fondo
y su puerto de operación (salud, métricas, AsyncAPI)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import asyncpg
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaAckableMessage
from faststream.specification import AsyncAPI
from pydantic import WithJsonSchema

from esquemas.control import TOPICO as TOPICO_CONTROL, InstitucionDadaDeAlta
from esquemas.rechazos import TOPICO_REENVIOS
from plataforma import asyncapi
from plataforma import registros as _registros  # noqa: F401 - aiokafka lee cualquier registro que Kafka acepte
from plataforma.bd import avisos_de_durabilidad, crear_pool, migrar
from plataforma.config import Ajustes
from plataforma.consumo import ERRORES_DE_INFRAESTRUCTURA, Procesador, Reaccion
from plataforma.esperas import esperar_tarea
from plataforma.metricas import Metricas
from plataforma.nube import Entrada
from plataforma.operacion import ServidorOperacion
from plataforma.outbox import Relay, crear_productor
from plataforma.periodico import PENDIENTES
from plataforma.reposo import Reposo
from plataforma.topicos import faltantes

log = logging.getLogger(__name__)

Tarea = Callable[["Servicio"], Awaitable[None]]


def patron(*topicos: str, ingresos: bool = False) -> str:
    """La expresión que suscribe a un servicio: sus tópicos, `alva.control`, `alva.reenvios` y, si los lee, los ingresos."""
    nombres = [t.replace(".", r"\.") for t in (*topicos, TOPICO_CONTROL, TOPICO_REENVIOS)]
    if ingresos:
        nombres.insert(0, r"alva\.ingreso\.[a-z0-9]+(?:-[a-z0-9]+)*")
    return rf"^(?:{'|'.join(nombres)})$"


@dataclass
class Servicio:
    """Un servicio de ALVA: consume por patrón, decide en memoria por lotes y publica sólo por su outbox."""

    nombre: str
    patron: str
    reacciones: dict[str, Reaccion]
    repositorio: Callable[[asyncpg.Connection], object]
    carpeta_sql: Path
    ajustes: Ajustes
    publica: tuple[str, ...] = ()  # los tópicos donde escribe (deben existir al arrancar)
    guardian_ingreso: bool = False
    tareas: list[Tarea] = field(default_factory=list)
    al_arrancar: list[Tarea] = field(default_factory=list)  # tras migrar, antes de consumir
    # Al reconstruir: lo que prepara el esquema nuevo antes de repetir (claves, reglas), las tablas operativas (se
    # conservan del respaldo), su propio tópico y lo que aprende de él.
    al_reconstruir: list[Tarea] = field(default_factory=list)
    tras_reconstruir: list[Tarea] = field(default_factory=list)  # tras repetir, antes de comparar
    operativas: tuple[str, ...] = ()
    propio: str | None = None
    propias: dict[str, Reaccion] = field(default_factory=dict)
    pool: asyncpg.Pool | None = None
    relay: Relay | None = None
    avisos: list[str] = field(default_factory=list)
    _fondo: list[asyncio.Task] = field(default_factory=list)
    _relay: asyncio.Task | None = None

    def __post_init__(self) -> None:
        self.metricas = Metricas(self.nombre)
        self.procesador = Procesador(self.nombre, self.reacciones, self.repositorio,
                                     guardian_ingreso=self.guardian_ingreso, metricas=self.metricas,
                                     plazo_pendientes_s=self.ajustes.pendientes_plazo_s)
        self.conexion = self.ajustes.conexion_kafka(f"alva-{self.nombre}")  # su propio principal
        self.broker = KafkaBroker(
            **self.conexion.faststream(),
            client_id=f"alva-{self.nombre}",
            metadata_max_age_ms=self.ajustes.metadata_max_age_ms,
            middlewares=[self.metricas.middleware],
            # Por el logging del servicio (sin los colores ANSI que FastStream fija en los suyos, que en una
            # bitácora son basura); «Received/Processed» por lote, en DEBUG: ruido en INFO.
            logger=logging.getLogger(f"alva.{self.nombre}.broker"), log_level=logging.DEBUG,
        )
        self.suscriptor = self.broker.subscriber(
            pattern=self.patron,
            group_id=f"alva-{self.nombre}",
            batch=True,
            max_records=self.ajustes.lote_max,
            batch_timeout_ms=self.ajustes.lote_espera_ms,
            fetch_max_wait_ms=self.ajustes.lote_espera_ms,
            fetch_min_bytes=self.ajustes.lote_bytes_min,
            auto_offset_reset="earliest",
            session_timeout_ms=6000, heartbeat_interval_ms=2000,  # una instancia muerta suelta sus particiones en ~6 s
            # Todas las particiones de todos los tópicos, repartidas una a una: con el de rangos (el de omisión) la
            # partición k de cada tópico va a la misma instancia y una segunda recibía casi nada que hacer. El de
            # rangos queda como segunda opción: durante una actualización, instancias viejas y nuevas se entienden.
            partition_assignment_strategy=(RoundRobinPartitionAssignor, RangePartitionAssignor),
            ack_policy=AckPolicy.NACK_ON_ERROR,  # el offset avanza sólo si la transacción confirmó
            parser=self._parsear,
            decoder=self._decodificar,
            title=f"alva-{self.nombre}",
            description=f"Eventos que consume {self.nombre}",
        )
        consumidos = [*self.reacciones, InstitucionDadaDeAlta.tipo]

        async def consumir(entradas: asyncapi.lote_consumido(consumidos, self.nombre)) -> None:
            await self.consumir(entradas)

        self.suscriptor(consumir)
        for topico, (descripcion, esquema) in asyncapi.publicados(self.nombre, self.publica,
                                                                 self.guardian_ingreso or any(
                                                                     t.startswith("mx.alva.ingreso.")
                                                                     for t in self.reacciones)).items():
            self.broker.publisher(topico, title=f"{topico} ({self.nombre})", description=descripcion,
                                  schema=Annotated[dict, WithJsonSchema(esquema)])  # sólo documenta: publica el relay
        self.app = FastStream(self.broker, logger=logging.getLogger(f"alva.{self.nombre}"), specification=AsyncAPI(
            title=f"ALVA {self.nombre}", description=f"El servicio {self.nombre} de ALVA: qué consume y qué publica."))
        self.operacion = ServidorOperacion(self)
        self.reposo = Reposo(bytes_min=self.ajustes.lote_bytes_min, espera_ms=self.ajustes.lote_espera_ms,
                             espera_reposo_ms=self.ajustes.reposo_espera_ms, tras_s=self.ajustes.reposo_tras_s)
        self.app.on_startup(self.arrancar)
        self.app.after_startup(self._despues_de_arrancar)
        self.app.on_shutdown(self._parar_relay)
        self.app.after_shutdown(self.detener)

    async def _parsear(self, registros, _original=None) -> KafkaAckableMessage:
        """Parser de FastStream para el lote, sin leer nada: el suyo arma un dict por registro con sus cabeceras
        decodificadas como UTF-8, y una cabecera con otros bytes (que cualquiera puede mandar) lo hacía fallar antes
        de llegar a nosotros: el lote se reintentaba sin fin y la partición quedaba detenida. Aquí las cabeceras se
        leen una sola vez, al decodificar, y lo ilegible es una `Entrada` con su error (ver `nube.leer`)."""
        primero, ultimo = registros[0], registros[-1]
        return KafkaAckableMessage(
            raw_message=registros, body=[r.value or b"" for r in registros],  # las métricas miden los bytes del lote
            message_id=f"{primero.topic}-{primero.partition}-{primero.offset}-{ultimo.offset}",
            correlation_id=f"{primero.topic}-{primero.partition}-{primero.offset}",
            consumer=self.suscriptor.consumer)

    async def _decodificar(self, mensaje, _original=None) -> list[Entrada]:
        """Decoder de FastStream: cada registro del lote como `Entrada` (lo que no le toca, sin decodificar)."""
        return self.procesador.leer_lote(mensaje.raw_message)

    async def consumir(self, entradas: list[Entrada]) -> None:
        """Suscriptor delgado: el lote a la transacción; luego despierta al relay y, si hubo altas, oye sus tópicos."""
        self.reposo.trabajo(self.suscriptor.consumer)
        try:
            hecho = await self.procesador.procesar_lote(self.pool, entradas)
        except ERRORES_DE_INFRAESTRUCTURA as e:
            log.warning("%s: lote deshecho por falla de infraestructura, se reintenta: %s", self.nombre, e)
            await asyncio.sleep(1.0)  # sin martillar a PostgreSQL mientras vuelve
            raise
        if hecho.salidas:
            self.relay.confirmados(hecho.encolados)
        if hecho.altas and self.suscriptor.consumer is not None:
            log.info("%s: instituciones dadas de alta %s; se relee la metadata", self.nombre, hecho.altas)
            self.suscriptor.consumer._client.force_metadata_update()  # noqa: SLF001 - aiokafka no lo expone

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
        self.avisos = await avisos_de_durabilidad(self.pool)  # también en /salud/listo: quien opera los ve
        await migrar(self.pool, self.nombre, self.carpeta_sql)
        for preparar in self.al_arrancar:
            await preparar(self)
        if faltan := await faltantes(self.conexion.aiokafka(), self.publica):
            raise RuntimeError(f"{self.nombre}: faltan los tópicos {', '.join(faltan)}; los crea la preparación de la "
                               "plataforma (python -m infra.entorno arrancar, o alva credenciales preparar).")
        productor = crear_productor(self.conexion.aiokafka(), f"alva-{self.nombre}-relay")
        await productor.start()
        self.relay = Relay(self.pool, self.nombre, productor,
                           al_apartar=lambda topico: self.metricas.contar("mensajes_apartados", topico=topico))
        self._relay = asyncio.create_task(self.relay.correr(), name=f"{self.nombre}-relay")
        tareas = [PENDIENTES, *self.tareas]
        self._fondo = [asyncio.create_task(t(self), name=f"{self.nombre}-{t.__name__}") for t in tareas]
        self._fondo.append(asyncio.create_task(self.reposo.vigilar(lambda: self.suscriptor.consumer),
                                               name=f"{self.nombre}-reposo"))

    async def _despues_de_arrancar(self) -> None:
        log.info("%s: en marcha", self.nombre)

    async def _parar_relay(self) -> None:
        """Antes de soltar el broker: el relay termina el lote que publica (nada confirmado se reenvía)."""
        if self.relay is not None and self._relay is not None:
            self.relay.detener()
            if not await esperar_tarea(self._relay, 30):
                self._relay.cancel()
            await asyncio.gather(self._relay, return_exceptions=True)

    async def detener(self) -> None:
        await self.operacion.cerrar()
        for tarea in self._fondo:
            tarea.cancel()
        await asyncio.gather(*self._fondo, return_exceptions=True)
        await self._parar_relay()
        if self.relay:
            await self.relay.productor.stop()
        if self.pool:
            await self.pool.close()
