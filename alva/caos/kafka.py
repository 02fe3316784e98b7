"""Los clientes Kafka de la prueba de fallas: todos nacen en `cliente()`, el único lugar que sabe conectarse."""

import asyncio
import importlib
import logging
import re
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError, MessageSizeTooLargeError

from plataforma import registros as _registros  # noqa: F401 - aiokafka lee cualquier registro que Kafka acepte
from plataforma.config import Ajustes
from plataforma.topicos import dar_de_alta

log = logging.getLogger(__name__)

MAX_PETICION = 2 * 1024 * 1024  # deja salir la entrada que pasa del límite: que sea el broker quien la niegue

# Lo que lee cada grupo de consumo (alva-<servicio>): el patrón con que se suscribe; su retraso decide la quietud.
ENTRADAS = {s: re.compile(importlib.import_module(f"servicios.{s}.suscriptores").PATRON)
            for s in ("convenios", "capacitacion", "distintivos", "notificaciones")}


def cliente(clase, quien: str = "alva-operador", **opciones):
    """Un productor, lector o administrador de Kafka en nombre de `quien` (un principal del diseño:
    `alva-admin`, `alva-operador`, `institucion-<id>`), con su usuario y su clave, por SASL_SSL."""
    return clase(**Ajustes().conexion_kafka(quien).aiokafka(), **opciones)


def productor(quien: str) -> AIOKafkaProducer:
    return cliente(AIOKafkaProducer, quien, acks="all", enable_idempotence=True, linger_ms=5,
                   max_request_size=MAX_PETICION, request_timeout_ms=15_000)


def lector(quien: str = "alva-operador") -> AIOKafkaConsumer:
    return cliente(AIOKafkaConsumer, quien, enable_auto_commit=False, auto_offset_reset="earliest",
                   max_partition_fetch_bytes=MAX_PETICION, request_timeout_ms=15_000)


def administrador(quien: str = "alva-operador") -> AIOKafkaAdminClient:
    return cliente(AIOKafkaAdminClient, quien, request_timeout_ms=10_000)


async def alta(instituciones: Iterable[str]) -> None:
    """El alta completa de cada institución, como `alva alta`: tópicos, principal, permisos y aviso."""
    ajustes = Ajustes()
    await dar_de_alta(ajustes.conexion_kafka("alva-admin"), *instituciones, particiones=ajustes.particiones,
                      replicacion=ajustes.replicacion)


async def baja(topicos: list[str]) -> None:
    """Borra tópicos de la corrida (p. ej. el hostil, para que una entrada venenosa no trabe la siguiente)."""
    admin = administrador("alva-admin")
    await admin.start()
    try:
        existentes = set(await admin.list_topics())
        if borrar := [t for t in topicos if t in existentes]:
            await admin.delete_topics(borrar)
    finally:
        await admin.close()


class Productores:
    """Un productor por principal; cada envío se reintenta mientras Kafka vuelve (los mismos bytes: un reenvío)."""

    def __init__(self) -> None:
        self._de: dict[str, AIOKafkaProducer] = {}
        self._candado = asyncio.Lock()

    async def _para(self, quien: str) -> AIOKafkaProducer:
        async with self._candado:
            if quien not in self._de:
                p = productor(quien)
                await p.start()
                self._de[quien] = p
            return self._de[quien]

    async def _renovar(self, quien: str, viejo: AIOKafkaProducer) -> None:
        async with self._candado:
            if self._de.get(quien) is viejo:
                del self._de[quien]
        await asyncio.gather(viejo.stop(), return_exceptions=True)

    async def enviar(self, quien: str, topico: str, valor: bytes, llave: bytes | None, cabeceras,
                     plazo_s: float = 300) -> tuple[int, int]:
        """(partición, offset) del envío que Kafka confirmó."""
        limite, fallas = asyncio.get_running_loop().time() + plazo_s, 0
        while True:
            p = None
            try:
                p = await self._para(quien)
                meta = await p.send_and_wait(topico, valor, key=llave, headers=list(cabeceras))
                return meta.partition, meta.offset
            except MessageSizeTooLargeError:
                raise
            except (KafkaError, OSError) as e:
                fallas += 1
                if asyncio.get_running_loop().time() > limite:
                    raise
                if p is not None and fallas % 3 == 0:
                    await self._renovar(quien, p)
                log.debug("envío a %s reintentado (%s)", topico, e)
                await asyncio.sleep(min(2.0, 0.2 * fallas))

    async def cerrar(self) -> None:
        await asyncio.gather(*(p.stop() for p in self._de.values()), return_exceptions=True)


class Monitor:
    """Retraso de cada grupo y finales de cada partición; se reconecta si Kafka se cayó."""

    def __init__(self) -> None:
        self._admin: AIOKafkaAdminClient | None = None
        self._lector: AIOKafkaConsumer | None = None
        self._candado = asyncio.Lock()

    async def _abrir(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        async with self._candado:
            return await self._abrir_sin_candado()

    async def _abrir_sin_candado(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None:
            admin, lec = administrador(), lector()
            try:
                await admin.start()
                await lec.start()
            except BaseException:
                await asyncio.gather(admin.close(), lec.stop(), return_exceptions=True)
                raise
            self._admin, self._lector = admin, lec
        return self._admin, self._lector

    async def cerrar(self) -> None:
        if self._admin is not None:
            await asyncio.gather(self._admin.close(), self._lector.stop(), return_exceptions=True)
        self._admin = self._lector = None

    async def _o_reabrir(self, corrutina):
        try:
            return await corrutina(*await self._abrir())
        except (KafkaError, OSError):
            await self.cerrar()
            raise

    async def particiones(self, topicos: Iterable[str]) -> list[TopicPartition]:
        async def hacer(admin, _):
            descritos = await admin.describe_topics(list(topicos))
            return [TopicPartition(d["topic"], p["partition"]) for d in descritos if not d["error_code"]
                    for p in d["partitions"]]
        return await self._o_reabrir(hacer)

    async def finales(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return await self._o_reabrir(lambda _, lec: lec.end_offsets(tps)) if tps else {}

    async def topicos_alva(self) -> list[str]:
        async def hacer(admin, _):
            return sorted(t for t in await admin.list_topics() if t.startswith("alva."))
        return await self._o_reabrir(hacer)

    async def retrasos(self) -> dict[str, dict[TopicPartition, int]]:
        """Por grupo alva-<servicio>: lo que le falta leer en cada partición de lo que consume."""
        topicos = await self.topicos_alva()
        tps = await self.particiones(topicos)
        finales = await self.finales(tps)
        inicios = await self._o_reabrir(lambda _, lec: lec.beginning_offsets(tps)) if tps else {}
        resultado = {}
        for servicio, patron in ENTRADAS.items():
            suyas = [tp for tp in tps if patron.match(tp.topic)]
            hechos = await self._o_reabrir(lambda admin, _: admin.list_consumer_group_offsets(f"alva-{servicio}"))
            resultado[servicio] = {
                tp: finales[tp] - max(inicios[tp], hechos[tp].offset if tp in hechos and hechos[tp].offset >= 0
                                      else inicios[tp])
                for tp in suyas}
        return resultado

    async def comprometidos(self, servicio: str) -> int:
        """La suma de los offsets confirmados del grupo: crece mientras el servicio avanza."""
        hechos = await self._o_reabrir(lambda admin, _: admin.list_consumer_group_offsets(f"alva-{servicio}"))
        return sum(o.offset for o in hechos.values() if o.offset >= 0)
