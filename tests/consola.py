"""La consola web en marcha dentro del proceso de pruebas (uvicorn en un puerto libre), con sus cuentas de prueba."""

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass

import uvicorn
from argon2 import PasswordHasher

from alva.consola.app import crear_app
from alva.consola.config import AjustesConsola

CLAVE = "una clave larga para las pruebas"
# Quien opera, y una cuenta por institución: el IMSS Guanajuato y Pénjamo.
CUENTAS = {"operadora": ("operador", None), "imss": ("institucion", "imss-guanajuato"),
           "penjamo": ("institucion", "penjamo")}


@dataclass
class Consola:
    url: str  # también la base pública (ALVA_URL_PUBLICA) de los servicios de la prueba
    ajustes: AjustesConsola
    app: object


class _Uvicorn(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):
        yield  # dentro de pytest nadie manda señales


def ajustes_de(infra, servicios: dict) -> AjustesConsola:
    """Como los de `python -m alva.consola`, con la base pública que usa el servicio de distintivos."""
    hasher = PasswordHasher()
    usuarios = {n: {"rol": rol, "hash": hasher.hash(CLAVE), **({"institucion": i} if i else {})}
                for n, (rol, i) in CUENTAS.items()}
    salud = {n: f"http://127.0.0.1:{s.puerto_operacion_real}/salud/listo" for n, s in servicios.items()}
    return AjustesConsola(kafka_bootstrap_servers=infra.kafka, postgres_dsn=infra.postgres_dsn, puerto_consola=0,
                          usuarios_consola=json.dumps(usuarios), secreto_consola="secreto de las pruebas " * 2,
                          salud_servicios=salud, url_publica=servicios["distintivos"].motor.url_publica)


@contextlib.asynccontextmanager
async def en_marcha(ajustes: AjustesConsola, sock: socket.socket | None = None):
    app = crear_app(ajustes)
    sock = sock or socket.create_server(("127.0.0.1", 0))
    servidor = _Uvicorn(uvicorn.Config(app, lifespan="on", log_config=None, log_level="warning", ws="none",
                                       timeout_graceful_shutdown=1))
    tarea = asyncio.create_task(servidor.serve(sockets=[sock]))
    while not servidor.started:
        if tarea.done():
            tarea.result()
        await asyncio.sleep(0.02)
    try:
        yield Consola(f"http://127.0.0.1:{sock.getsockname()[1]}", ajustes, app)
    finally:
        servidor.should_exit = True
        await asyncio.wait_for(tarea, 10)
