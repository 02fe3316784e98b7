"""Tópicos: saber cuáles faltan, y crear los propios de una prueba o una medición. Los de la plataforma y los de
cada institución los crea el aprovisionamiento (plataforma.provision), que también da permisos y avisa."""

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from plataforma.kafka import ConexionKafka

log = logging.getLogger(__name__)

# La hora de cada registro la pone el broker: es el reloj con que la plataforma fecha lo que cada evento causa.
CONFIG_TOPICO = {"message.timestamp.type": "LogAppendTime"}


async def faltantes(opciones: dict, topicos: Iterable[str]) -> list[str]:
    """Los de `topicos` que Kafka no tiene (o que este cliente no puede ver)."""
    pedidos = set(topicos)
    if not pedidos:
        return []
    admin = AIOKafkaAdminClient(**opciones, client_id="alva-topicos")
    await admin.start()
    try:
        return sorted(pedidos - set(await admin.list_topics()))
    finally:
        await admin.close()


async def crear(opciones: dict, nombres: Iterable[str], particiones: int = 3, replicacion: int = 1) -> set[str]:
    """Crea los que falten (con la hora del broker), como lo haría el aprovisionamiento; devuelve los creados."""
    nombres = set(nombres)
    admin = AIOKafkaAdminClient(**opciones, client_id="alva-topicos")
    await admin.start()
    try:
        nuevos = nombres - set(await admin.list_topics())
        if nuevos:
            respuesta = await admin.create_topics([NewTopic(n, particiones, replicacion, topic_configs=CONFIG_TOPICO)
                                                   for n in sorted(nuevos)])
            for nombre, codigo, *_ in getattr(respuesta, "topic_errors", []):
                if codigo not in (0, TopicAlreadyExistsError.errno):
                    raise RuntimeError(f"Kafka no creó el tópico {nombre}: error {codigo}")
    finally:
        await admin.close()
    return nuevos


async def dar_de_alta(admin: ConexionKafka, *instituciones: str, particiones: int = 3, replicacion: int = 1,
                      carpeta_credenciales: Path | None = None) -> None:
    """El alta completa de cada institución (tópicos, principal, permisos y aviso en alva.control), desde código
    asíncrono. Lo que ya existía se respeta. Las credenciales quedan en `carpeta_credenciales` (por omisión, la
    del embebido)."""
    from plataforma import provision
    from plataforma.kafka import carpeta_principales

    for institucion in instituciones:
        await asyncio.to_thread(provision.alta_institucion, admin, institucion, particiones=particiones,
                                replicacion=replicacion,
                                carpeta_credenciales=carpeta_credenciales or carpeta_principales())
