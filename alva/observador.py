"""Leer los tópicos de ALVA desde ahora: para la demostración, las pruebas y quien opera."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from esquemas import CloudEvent
from plataforma import registros as _registros  # noqa: F401 - aiokafka lee cualquier registro que Kafka acepte


async def particiones_de(opciones: dict, topicos: list[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(**opciones)
    await admin.start()
    try:
        descritos = await admin.describe_topics(topicos)
    finally:
        await admin.close()
    return [TopicPartition(d["topic"], p["partition"]) for d in descritos if not d["error_code"]
            for p in d["partitions"]]


class Observador:
    """Un lector sin grupo de consumo, parado al final de cada partición al abrirse."""

    def __init__(self, lector: AIOKafkaConsumer) -> None:
        self.lector = lector
        self.vistos: list[tuple[str, CloudEvent]] = []

    @classmethod
    async def abrir(cls, opciones: dict, topicos: list[str]) -> "Observador":
        """`opciones`: kwargs de aiokafka (conexión y seguridad) de quien observa."""
        particiones = await particiones_de(opciones, topicos)
        lector = AIOKafkaConsumer(**opciones, enable_auto_commit=False)
        await lector.start()
        lector.assign(particiones)
        # Un seek explícito a cada final: seek_to_end de aiokafka pierde particiones cuando son muchas.
        for tp, fin in (await lector.end_offsets(particiones)).items():
            lector.seek(tp, fin)
        return cls(lector)

    async def cerrar(self) -> None:
        await self.lector.stop()

    async def recibir(self, espera_s: float) -> list[tuple[str, CloudEvent]]:
        """Lo que llegue en `espera_s`, ya anotado en `vistos`; lo que no es un CloudEvent se salta."""
        nuevos = []
        lotes = await self.lector.getmany(timeout_ms=max(1, int(espera_s * 1000)))
        for registro in (r for rs in lotes.values() for r in rs):
            try:
                nuevos.append((registro.topic, CloudEvent.model_validate_json(registro.value)))
            except ValueError:
                continue
        self.vistos += nuevos
        return nuevos

    async def eventos(self, plazo_s: float, mientras: Callable[[], bool] = lambda: True,
                      ) -> AsyncIterator[tuple[str, CloudEvent]]:
        """(tópico, evento) según llegan, hasta el plazo o hasta que `mientras()` sea falso."""
        limite = time.monotonic() + plazo_s
        while (queda := limite - time.monotonic()) > 0 and mientras():
            for visto in await self.recibir(min(queda, 0.5)):
                yield visto

    async def esperar(self, condicion: Callable[[CloudEvent], bool], plazo_s: float = 60) -> CloudEvent:
        """El primer evento (ya visto o por venir) que cumple la condición; TimeoutError si no llega."""
        limite, revisados = time.monotonic() + plazo_s, 0
        while True:
            for _, evento in self.vistos[revisados:]:
                if condicion(evento):
                    return evento
            revisados = len(self.vistos)
            if (queda := limite - time.monotonic()) <= 0:
                raise asyncio.TimeoutError(f"ningún evento cumplió la condición en {plazo_s:g} s")
            await self.recibir(min(queda, 0.5))
