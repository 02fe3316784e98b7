"""Infraestructura de las pruebas: lo que el entorno nombra, luego testcontainers si hay Docker, luego el embebido."""

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from plataforma import provision
from plataforma.kafka import ConexionKafka, conexion_desde_entorno, conexion_embebida


@dataclass(frozen=True)
class Infra:
    kafka: str
    postgres_dsn: str
    origen: str
    admin: "ConexionKafka"  # el administrador: prepara tópicos, da de alta, y las pruebas leen y escriben con él

    def opciones(self) -> dict:
        """kwargs de aiokafka para los clientes de las pruebas."""
        return self.admin.aiokafka()


def unico(prefijo: str = "t") -> str:
    """Un id distinto por prueba: comparten broker y base sin limpiar nada."""
    return f"{prefijo}-{uuid.uuid4().hex[:10]}"


def _docker_responde() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # noqa: BLE001 - sin motor Docker, se usa el entorno embebido
        return False


def _con_testcontainers(pila) -> Infra:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    kafka = pila.enter_context(KafkaContainer("confluentinc/cp-kafka:7.6.1").with_kraft())
    postgres = pila.enter_context(PostgresContainer("postgres:15", driver=None))
    admin = ConexionKafka(kafka.get_bootstrap_server(), "PLAINTEXT", None)
    provision.preparar(admin, otorgantes=["prodheg"])  # sin seguridad: tópicos y avisos de alta
    return Infra(admin.bootstrap, postgres.get_connection_url(), "testcontainers", admin)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    kafka, dsn = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("ALVA_POSTGRES_DSN")
    if kafka and dsn:
        admin = conexion_desde_entorno("alva-admin")
        provision.preparar(admin, otorgantes=["prodheg"])
        yield Infra(kafka, dsn, "entorno", admin)
        return
    if _docker_responde():
        from contextlib import ExitStack

        with ExitStack() as pila:
            yield _con_testcontainers(pila)
        return
    from infra import entorno

    e = entorno.arrancar(("kafka", "postgres"))  # aprovisionado: tópicos, principales, permisos y el otorgante
    yield Infra(e.kafka_bootstrap, e.postgres_dsn, "embebido", conexion_embebida("alva-admin"))


@pytest.fixture(scope="session")
def infra_segura():
    """El Kafka embebido con SASL_SSL, SCRAM y ACLs, ya aprovisionado; da la conexión del administrador."""
    from infra import entorno
    from plataforma.kafka import conexion_embebida

    entorno.arrancar(("kafka",))
    return conexion_embebida("alva-admin")


class Buzon:
    """Un servidor SMTP real (aiosmtpd) en loopback que guarda lo que recibe."""

    def __init__(self) -> None:
        self.mensajes: list[EmailMessage] = []
        self.conexiones: set[tuple] = set()  # de dónde llegó cada correo (dirección y puerto del cliente)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            puerto = s.getsockname()[1]
        self.controlador = Controller(self, hostname="127.0.0.1", port=puerto)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - nombre de aiosmtpd
        self.mensajes.append(message_from_bytes(envelope.original_content, policy=policy.default))
        self.conexiones.add(tuple(session.peer))
        return "250 OK"

    @property
    def puerto(self) -> int:
        return self.controlador.port

    async def esperar(self, condicion, plazo_s: float = 30) -> EmailMessage:
        limite = asyncio.get_running_loop().time() + plazo_s
        while asyncio.get_running_loop().time() < limite:
            for m in self.mensajes:
                if condicion(m):
                    return m
            await asyncio.sleep(0.1)
        raise TimeoutError(f"no llegó el correo esperado en {plazo_s:g} s")


@pytest.fixture(scope="session")
def buzon() -> Iterator[Buzon]:
    b = Buzon()
    b.controlador.start()
    yield b
    b.controlador.stop()
