"""Los cuatro servicios en marcha, una sola vez por sesión de pruebas, contra Kafka y PostgreSQL reales."""

import socket
from contextlib import AsyncExitStack

import pytest
from aiokafka import AIOKafkaProducer

from alva import escenario
from esquemas.catalogo import TOPICOS_CANONICOS
from esquemas.rechazos import TOPICO as TOPICO_RECHAZOS
from esquemas.ingreso import topico_ingreso
from plataforma.topicos import dar_de_alta
from tests.servicios import FABRICAS, arrancar

INSTITUCIONES = (escenario.OTORGANTE, escenario.IMSS, "penjamo")


@pytest.fixture(scope="session")
def enchufe_consola():
    """El puerto de la consola web, abierto antes que los servicios: las credenciales nombran su dirección."""
    enchufe = socket.create_server(("127.0.0.1", 0))
    yield enchufe
    enchufe.close()


@pytest.fixture(scope="session")
async def plataforma(infra, buzon, enchufe_consola):
    await dar_de_alta(infra.admin, *INSTITUCIONES)
    url_publica = f"http://127.0.0.1:{enchufe_consola.getsockname()[1]}"
    async with AsyncExitStack() as pila:
        servicios = {n: await arrancar(pila, n, infra, smtp_puerto=buzon.puerto, url_publica=url_publica)
                     for n in FABRICAS}
        yield servicios


@pytest.fixture(scope="session")
async def productor(infra):
    p = AIOKafkaProducer(**infra.opciones(), acks="all", enable_idempotence=True)
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
async def observador(infra, plataforma):
    from alva.observador import Observador

    o = await Observador.abrir(infra.opciones(), [*TOPICOS_CANONICOS, TOPICO_RECHAZOS,
                                              *map(topico_ingreso, INSTITUCIONES)])
    yield o
    await o.cerrar()


@pytest.fixture(scope="session")
async def consola(infra, plataforma, enchufe_consola):
    """La consola web, como la arranca `python -m alva.consola`, en la dirección que nombran las credenciales."""
    from tests.consola import ajustes_de, en_marcha

    async with en_marcha(ajustes_de(infra, plataforma), enchufe_consola) as c:
        yield c
