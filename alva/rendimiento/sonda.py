"""Lo que el banco pregunta a Kafka mientras mide: tópicos, finales de partición, offsets, retraso y miembros de un
grupo; y cómo envía una carga y lee lo publicado."""

import asyncio
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from aiokafka.errors import GroupCoordinatorNotAvailableError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from alva.rendimiento import conexion
from alva.rendimiento.carga import Mensaje


class Sonda:
    """Un cliente de administración y un lector sin grupo, abiertos una vez para preguntar a menudo."""

    def __init__(self, admin, lector: AIOKafkaConsumer) -> None:
        self.admin, self.lector = admin, lector

    @classmethod
    async def abrir(cls) -> "Sonda":
        return cls(await conexion.admin(), await conexion.consumidor())

    async def cerrar(self) -> None:
        await self.lector.stop()
        await self.admin.close()

    async def topicos(self, patron: str) -> list[str]:
        return sorted(t for t in await self.admin.list_topics() if re.fullmatch(patron, t))

    async def particiones(self, topicos: Iterable[str]) -> list[TopicPartition]:
        topicos = sorted(set(topicos))
        if not topicos:
            return []
        return [TopicPartition(d["topic"], p["partition"]) for d in await self.admin.describe_topics(topicos)
                if not d["error_code"] for p in d["partitions"]]

    async def esperar_lideres(self, topicos: list[str], plazo_s: float = 30) -> None:
        """Un tópico recién creado tarda en tener líder en cada partición; medir antes mediría esa espera."""
        limite = asyncio.get_running_loop().time() + plazo_s
        while any(d["error_code"] or any(p["leader"] < 0 for p in d["partitions"])
                  for d in await self.admin.describe_topics(topicos)):
            if asyncio.get_running_loop().time() > limite:
                raise TimeoutError(f"los tópicos {', '.join(topicos)} no tuvieron líder en {plazo_s:g} s")
            await asyncio.sleep(0.2)

    async def finales(self, tps: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        tps = list(tps)
        return await self.lector.end_offsets(tps) if tps else {}

    async def iniciales(self, tps: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        tps = list(tps)
        return await self.lector.beginning_offsets(tps) if tps else {}

    async def confirmados(self, grupo: str, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        """El offset confirmado del grupo en cada partición (0 si nunca confirmó)."""
        if not tps:
            return {}
        hechos = await self.admin.list_consumer_group_offsets(grupo, partitions=tps)
        return {tp: max(hechos[tp].offset, 0) if tp in hechos else 0 for tp in tps}

    async def retraso(self, grupo: str, tps: list[TopicPartition]) -> int:
        finales, confirmados = await asyncio.gather(self.finales(tps), self.confirmados(grupo, tps))
        return sum(max(finales[tp] - confirmados[tp], 0) for tp in tps)

    async def grupo(self, grupo: str) -> tuple[str, list[list[TopicPartition]]]:
        """El estado del grupo (Stable, Empty, …) y las particiones asignadas a cada miembro. Un broker recién
        arrancado tarda en tener coordinador de grupos: se espera a que lo tenga."""
        async for intento in AsyncRetrying(retry=retry_if_exception_type(GroupCoordinatorNotAvailableError),
                                           wait=wait_exponential(multiplier=0.2, max=3), stop=stop_after_delay(60),
                                           reraise=True):
            with intento:
                respuesta = (await self.admin.describe_consumer_groups([grupo]))[0]
        _, _, estado, _, _, miembros, *_ = respuesta.groups[0]
        asignaciones = []
        for miembro in miembros:
            crudo = miembro[-1] if isinstance(miembro[-1], bytes) else miembro[4]
            asignaciones.append(ConsumerProtocolMemberAssignment.decode(crudo).partitions() if crudo else [])
        return estado, asignaciones

    async def esperar_estable(self, grupo: str, miembros: int, plazo_s: float = 90,
                              vivos: Callable[[], bool] = lambda: True) -> list[list[TopicPartition]]:
        """Hasta que el grupo tiene `miembros` con particiones asignadas: desde ahí consume."""
        limite = asyncio.get_running_loop().time() + plazo_s
        while True:
            estado, asignaciones = await self.grupo(grupo)
            if estado == "Stable" and len(asignaciones) == miembros and all(asignaciones):
                return asignaciones
            if not vivos():
                raise RuntimeError(f"una instancia de {grupo} terminó antes de unirse al grupo")
            if asyncio.get_running_loop().time() > limite:
                raise TimeoutError(f"el grupo {grupo} no llegó a {miembros} miembro(s) con particiones "
                                   f"en {plazo_s:g} s (quedó {estado}, con {len(asignaciones)} miembro(s) y "
                                   f"{sum(1 for a in asignaciones if a)} con particiones)")
            await asyncio.sleep(0.05)

    async def esperar_vacio(self, grupo: str, plazo_s: float = 60) -> None:
        """Hasta que el grupo no tiene miembros (las instancias detenidas ya salieron de él)."""
        limite = asyncio.get_running_loop().time() + plazo_s
        while (estado := (await self.grupo(grupo))[0]) not in ("Empty", "Dead"):
            if asyncio.get_running_loop().time() > limite:
                raise TimeoutError(f"el grupo {grupo} sigue {estado}: ¿quedó alguna instancia corriendo?")
            await asyncio.sleep(0.2)

    async def saltar_al_final(self, grupo: str, tps: list[TopicPartition], plazo_s: float = 60) -> None:
        """Con el grupo vacío, confirma el final de cada partición: lo que hubiera antes no se procesa."""
        await self.esperar_vacio(grupo, plazo_s)
        if not tps:
            return
        finales = await self.finales(tps)
        cliente = await conexion.consumidor(grupo)
        try:
            cliente.assign(tps)
            await cliente.commit({tp: fin for tp, fin in finales.items()})
        finally:
            await cliente.stop()


async def enviar(mensajes: Iterable[Mensaje], topico: str | None = None) -> float:
    """Todo de una vez (a su tópico, o a `topico`), esperando cada confirmación; devuelve los segundos que tomó."""
    mensajes = list(mensajes)
    productor = await conexion.productor()
    try:
        for t in {topico} if topico else {m.topico for m in mensajes}:
            await productor.partitions_for(t)  # los metadatos antes de echar a andar el reloj
        inicio = asyncio.get_running_loop().time()
        envios = [await productor.send(topico or m.topico, m.valor, key=m.llave, headers=m.cabeceras)
                  for m in mensajes]
        await asyncio.gather(*envios)
        return asyncio.get_running_loop().time() - inicio
    finally:
        await productor.stop()


async def lector(desde: dict[TopicPartition, int]) -> AIOKafkaConsumer:
    """Un lector sin grupo, puesto en `desde` (p. ej. los finales antes de enviar una carga)."""
    cliente = await conexion.consumidor(max_partition_fetch_bytes=4 << 20)
    cliente.assign(list(desde))
    for tp, offset in desde.items():
        cliente.seek(tp, offset)
    return cliente


async def leer_hasta_el_final(desde: dict[TopicPartition, int], anotar: Callable[[ConsumerRecord], None]
                              ) -> dict[TopicPartition, int]:
    """Cada registro desde `desde` hasta el final que cada partición tiene ahora, a `anotar`; devuelve esos finales
    (desde donde seguir la próxima vez)."""
    cliente = await lector(desde)
    try:
        finales = await cliente.end_offsets(list(desde))
        pendientes = {tp for tp in desde if finales[tp] > desde[tp]}
        while pendientes:
            for tp, registros in (await cliente.getmany(*pendientes, timeout_ms=1000, max_records=5000)).items():
                for r in registros:
                    if r.offset < finales[tp]:
                        anotar(r)
                if registros and registros[-1].offset >= finales[tp] - 1:
                    pendientes.discard(tp)
        return finales
    finally:
        await cliente.stop()


async def tipos_publicados(desde: dict[TopicPartition, int]) -> Counter:
    """Cuántos eventos de cada `type` hay desde `desde` hasta el final de hoy."""
    tipos: Counter = Counter()
    await leer_hasta_el_final(desde, lambda r: tipos.update([json.loads(r.value).get("type")]))
    return tipos
