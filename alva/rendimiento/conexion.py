"""Los clientes del banco de pruebas: todo cliente de Kafka nace de `kafka()`, y PostgreSQL de `postgres()`."""

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from plataforma import registros as _registros  # noqa: F401 - aiokafka lee cualquier registro que Kafka acepte
from plataforma import topicos as _topicos
from plataforma.config import Ajustes

ADMIN = "alva-admin"  # el banco escribe hechos sintéticos en los tópicos de cada servicio: sólo el administrador puede


def kafka(**opciones) -> dict:
    """Argumentos de cualquier cliente aiokafka del banco: SASL_SSL como el administrador."""
    return {**Ajustes().conexion_kafka(ADMIN).aiokafka(), **opciones}


async def productor(**opciones) -> AIOKafkaProducer:
    """Como los de la plataforma: `acks=all` e idempotente, con lotes grandes."""
    ajustes = {"acks": "all", "enable_idempotence": True, "linger_ms": 5, "max_batch_size": 1 << 20,
               "max_request_size": 4 << 20, "request_timeout_ms": 30_000}
    cliente = AIOKafkaProducer(**kafka(**{**ajustes, **opciones}))
    await cliente.start()
    return cliente


async def consumidor(grupo: str | None = None, **opciones) -> AIOKafkaConsumer:
    """Sin suscripción: quien lo usa asigna las particiones que lee."""
    ajustes = {"group_id": grupo, "enable_auto_commit": False, "auto_offset_reset": "earliest"}
    cliente = AIOKafkaConsumer(**kafka(**{**ajustes, **opciones}))
    await cliente.start()
    return cliente


async def admin() -> AIOKafkaAdminClient:
    cliente = AIOKafkaAdminClient(**kafka(request_timeout_ms=15_000))
    await cliente.start()
    return cliente


async def crear_topicos(nombres: list[str]) -> None:
    """Tópicos propios del banco, con los mismos ajustes que los de la plataforma."""
    ajustes = Ajustes()
    await _topicos.crear(kafka(), nombres, ajustes.particiones, ajustes.replicacion)


async def dar_de_alta(instituciones: list[str]) -> None:
    """El alta completa, como `alva alta`: tópicos, principal, permisos y aviso a los servicios."""
    ajustes = Ajustes()
    await _topicos.dar_de_alta(ajustes.conexion_kafka(ADMIN), *instituciones, particiones=ajustes.particiones,
                               replicacion=ajustes.replicacion)


async def postgres() -> asyncpg.Connection:
    return await asyncpg.connect(Ajustes().postgres_dsn)
