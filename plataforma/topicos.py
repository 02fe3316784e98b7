"""Tópicos: los de la plataforma, los de cada institución al darla de alta, y saber cuáles faltan."""

import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from esquemas.catalogo import TOPICOS_CANONICOS, TOPICOS_PLATAFORMA
from esquemas.control import TOPICO as TOPICO_CONTROL, InstitucionDadaDeAlta
from esquemas.ingreso import topico_ingreso
from esquemas.rechazos import TOPICO as TOPICO_RECHAZOS, topico_dlq
from esquemas.respuestas import topico_respuestas
from plataforma.nube import armar, mensaje

log = logging.getLogger(__name__)

# La hora de cada registro la pone el broker: es el reloj con que la plataforma fecha lo que cada evento causa.
CONFIG_TOPICO = {"message.timestamp.type": "LogAppendTime"}


def topicos_de_plataforma() -> list[str]:
    return [*TOPICOS_PLATAFORMA, *(topico_dlq(t) for t in (*TOPICOS_CANONICOS, TOPICO_RECHAZOS))]


def topicos_de_institucion(institucion: str) -> list[str]:
    ingreso = topico_ingreso(institucion)
    return [ingreso, topico_dlq(ingreso), topico_respuestas(institucion)]


async def faltantes(bootstrap: str | dict, topicos: Iterable[str]) -> list[str]:
    """Los de `topicos` que Kafka no tiene (o que este cliente no puede ver)."""
    pedidos = set(topicos)
    if not pedidos:
        return []
    admin = AIOKafkaAdminClient(**_opciones(bootstrap), client_id="alva-topicos")
    await admin.start()
    try:
        return sorted(pedidos - set(await admin.list_topics()))
    finally:
        await admin.close()


class Topicos:
    """Crea tópicos (con la configuración de la plataforma) y da de alta instituciones."""

    def __init__(self, bootstrap: str | dict, particiones: int = 3, replicacion: int = 1) -> None:
        self.opciones, self.particiones, self.replicacion = _opciones(bootstrap), particiones, replicacion

    async def asegurar(self, nombres: Iterable[str]) -> set[str]:
        """Crea los que falten; devuelve los creados."""
        nombres = set(nombres)
        admin = AIOKafkaAdminClient(**self.opciones, client_id="alva-topicos")
        await admin.start()
        try:
            nuevos = nombres - set(await admin.list_topics())
            if nuevos:
                respuesta = await admin.create_topics([NewTopic(n, self.particiones, self.replicacion,
                                                                topic_configs=CONFIG_TOPICO) for n in sorted(nuevos)])
                for nombre, codigo, *_ in getattr(respuesta, "topic_errors", []):
                    if codigo not in (0, TopicAlreadyExistsError.errno):
                        raise RuntimeError(f"Kafka no creó el tópico {nombre}: error {codigo}")
                log.info("tópicos creados: %s", sorted(nuevos))
        finally:
            await admin.close()
        return nuevos

    async def preparar_plataforma(self) -> None:
        await self.asegurar(topicos_de_plataforma())

    async def alta_institucion(self, institucion: str) -> str:
        """Crea su ingreso, su DLQ y sus respuestas, y avisa en `alva.control` para que los servicios la escuchen."""
        await self.asegurar(topicos_de_institucion(institucion))
        productor = AIOKafkaProducer(**self.opciones, acks="all", enable_idempotence=True)
        await productor.start()
        try:
            datos = InstitucionDadaDeAlta(institucion=institucion, topico=topico_ingreso(institucion))
            sobre = armar(InstitucionDadaDeAlta.tipo, datos.model_dump(mode="json"), id_=str(uuid.uuid4()),
                          institucion=institucion, servicio="alta", cuando=datetime.now(UTC), subject=institucion)
            m = mensaje(TOPICO_CONTROL, sobre)
            await productor.send_and_wait(m.topico, m.valor, key=m.llave, headers=list(m.cabeceras))
        finally:
            await productor.stop()
        return topico_ingreso(institucion)


def _opciones(bootstrap: str | dict) -> dict:
    return bootstrap if isinstance(bootstrap, dict) else {"bootstrap_servers": bootstrap}
