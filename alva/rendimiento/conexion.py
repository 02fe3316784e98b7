"""Los clientes del banco de pruebas: todo cliente de Kafka nace de `kafka()`, y PostgreSQL de `postgres()`."""

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from plataforma.config import Ajustes
from plataforma.topicos import Topicos


def kafka(**opciones) -> dict:
    """Argumentos de cualquier cliente aiokafka del banco; cambiar la conexión (p. ej. a SASL_SSL) es cambiar esto."""
    return {"bootstrap_servers": Ajustes().kafka_bootstrap_servers, **opciones}


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


def topicos() -> Topicos:
    """La provisión de la plataforma, para que los tópicos del banco tengan los mismos ajustes que los reales."""
    ajustes = Ajustes()
    return Topicos(ajustes.kafka_bootstrap_servers, ajustes.particiones, ajustes.replicacion)


async def postgres() -> asyncpg.Connection:
    return await asyncpg.connect(Ajustes().postgres_dsn)
