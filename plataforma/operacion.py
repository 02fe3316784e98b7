"""El puerto de operación de un servicio: salud, métricas Prometheus y su documento AsyncAPI, por HTTP.

Un `uvicorn.Server` en el mismo bucle que el broker (así `/salud/vivo` responde sólo si el bucle responde),
con una app ASGI mínima hecha de los manejadores de `faststream.asgi`. FastStream sigue siendo quien corre el
servicio y atiende las señales.
"""

import asyncio
import contextlib
import json
import logging
import socket
from typing import TYPE_CHECKING

import uvicorn
from faststream.asgi import AsgiResponse, get, make_asyncapi_asgi
from faststream.asgi.types import Receive, Scope, Send

from plataforma.esperas import esperar_tarea
from plataforma.metricas import TIPO_DE_CONTENIDO

if TYPE_CHECKING:
    from plataforma.config import Ajustes
    from plataforma.servicio import Servicio

log = logging.getLogger(__name__)

PUERTOS = {"convenios": 18081, "capacitacion": 18082, "distintivos": 18083, "notificaciones": 18084}
PLAZO_S = 2.0  # cada revisión de disponibilidad


class PuertoNoDisponible(RuntimeError):
    """El puerto de operación no se pudo abrir: mejor fallar al arrancar que quedarse sin salud ni métricas."""


def puertos_propios(ajustes: "Ajustes") -> dict[str, int]:
    """El puerto fijo de cada servicio: el de siempre (18081–18084), salvo lo que diga ALVA_PUERTOS_OPERACION."""
    return {**PUERTOS, **ajustes.puertos_operacion}


def puerto_de(servicio: "Servicio") -> int | None:
    """El configurado, o el propio del servicio; None si el servidor está apagado (un número negativo)."""
    puerto = servicio.ajustes.puerto_operacion
    if puerto is None:
        puerto = puertos_propios(servicio.ajustes).get(servicio.nombre, 0)
    return None if puerto < 0 else puerto


def abrir_socket(nombre: str, host: str, puerto: int) -> socket.socket:
    try:
        familia = socket.getaddrinfo(host, puerto, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        return socket.create_server((host, puerto), family=familia)
    except OSError as e:
        raise PuertoNoDisponible(
            f"{nombre}: no se pudo abrir el puerto de operación {host}:{puerto} ({e.strerror or e}); ¿ya corre otra "
            f"instancia? Elija otro con ALVA_PUERTO_OPERACION (0: uno libre; negativo: sin servidor) o, para este "
            f"servicio solo, con ALVA_PUERTOS_OPERACION (JSON); otra dirección con ALVA_HOST_OPERACION.") from e


def _json(datos: dict, estado: int = 200) -> AsgiResponse:
    cuerpo = json.dumps(datos, ensure_ascii=False).encode()
    return AsgiResponse(cuerpo, estado, {"Content-Type": "application/json; charset=utf-8"})


async def _revisar_postgres(servicio: "Servicio") -> str | None:
    """None si PostgreSQL responde `SELECT 1` por el pool del servicio; si no, por qué."""
    if servicio.pool is None:
        return "el servicio aún no abre su pool de PostgreSQL"
    try:
        async with asyncio.timeout(PLAZO_S), servicio.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
    except TimeoutError:
        return f"PostgreSQL no respondió SELECT 1 en {PLAZO_S:g} s"
    except Exception as e:  # noqa: BLE001 - cualquier falla es "no listo", con su motivo
        return f"PostgreSQL no respondió SELECT 1: {type(e).__name__}: {e}"
    return None


async def _revisar_kafka(servicio: "Servicio") -> str | None:
    """None si Kafka describe su clúster al cliente del broker (`broker.ping`); si no, por qué."""
    if await servicio.broker.ping(PLAZO_S):
        return None
    return f"Kafka no respondió en {PLAZO_S:g} s (o el broker del servicio aún no se conecta)"


async def revisar(servicio: "Servicio") -> dict:
    postgres, kafka = await asyncio.gather(_revisar_postgres(servicio), _revisar_kafka(servicio))
    revisiones = {n: {"ok": True} if m is None else {"ok": False, "motivo": m}
                  for n, m in (("postgres", postgres), ("kafka", kafka))}
    fallan = [n for n, r in revisiones.items() if not r["ok"]]
    return {"servicio": servicio.nombre, "listo": not fallan, "fallan": fallan, "revisiones": revisiones,
            "avisos": list(getattr(servicio, "avisos", []))}


def crear_app(servicio: "Servicio"):
    """La app ASGI del puerto de operación: unas cuantas rutas GET exactas."""

    @get(description="Vivo: el bucle de eventos del proceso responde.")
    async def vivo(scope: Scope) -> AsgiResponse:
        return _json({"servicio": servicio.nombre, "vivo": True})

    @get(description="Listo: PostgreSQL (SELECT 1 por el pool del servicio) y Kafka responden; si no, 503.")
    async def listo(scope: Scope) -> AsgiResponse:
        estado = await revisar(servicio)
        return _json(estado, 200 if estado["listo"] else 503)

    @get(description="Métricas en el formato de texto de Prometheus.")
    async def metricas(scope: Scope) -> AsgiResponse:
        await servicio.metricas.medir_outbox(servicio.pool, PLAZO_S)
        return AsgiResponse(servicio.metricas.exponer(), 200, {"Content-Type": TIPO_DE_CONTENIDO})

    @get(description="El documento AsyncAPI del servicio, en JSON.")
    async def asyncapi_json(scope: Scope) -> AsgiResponse:
        cuerpo = servicio.app.schema.to_specification().to_json().encode()
        return AsgiResponse(cuerpo, 200, {"Content-Type": "application/json; charset=utf-8"})

    rutas = {
        "/salud/vivo": vivo,
        "/salud/listo": listo,
        "/metricas": metricas,
        "/asyncapi": make_asyncapi_asgi(servicio.app.schema, try_it_out_path=None),
        "/asyncapi.json": asyncapi_json,
    }
    for manejador in rutas.values():
        manejador.set_logger(log)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        manejador = rutas.get(scope["path"].rstrip("/") or "/")
        if manejador is None:
            await _json({"error": f"No existe {scope['path']}", "rutas": list(rutas)}, 404)(scope, receive, send)
        else:
            await manejador(scope, receive, send)

    return app


class _Uvicorn(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):
        yield  # las señales las atiende FastStream, que luego nos detiene


class ServidorOperacion:
    def __init__(self, servicio: "Servicio") -> None:
        self.servicio = servicio
        self.puerto: int | None = None  # el real, ya abierto (útil con 0)
        self._servidor: _Uvicorn | None = None
        self._tarea: asyncio.Task | None = None

    async def abrir(self) -> None:
        puerto, host = puerto_de(self.servicio), self.servicio.ajustes.host_operacion
        if puerto is None:
            return
        sock = abrir_socket(self.servicio.nombre, host, puerto)
        self.puerto = sock.getsockname()[1]
        config = uvicorn.Config(crear_app(self.servicio), lifespan="off", ws="none", log_config=None,
                                log_level="warning", access_log=False, timeout_graceful_shutdown=2)
        self._servidor = _Uvicorn(config)
        self._tarea = asyncio.create_task(self._servidor.serve(sockets=[sock]), name=f"{self.servicio.nombre}-http")
        limite = asyncio.get_running_loop().time() + 5
        while not self._servidor.started and not self._tarea.done():
            if asyncio.get_running_loop().time() > limite:
                raise PuertoNoDisponible(f"{self.servicio.nombre}: el servidor de operación no arrancó en 5 s")
            await asyncio.sleep(0.01)
        if self._tarea.done():
            self._tarea.result()
        log.info("%s: salud, métricas y AsyncAPI en http://%s:%d", self.servicio.nombre, host, self.puerto)

    async def cerrar(self) -> None:
        if self._servidor is None:
            return
        self._servidor.should_exit = True
        try:
            if not await esperar_tarea(self._tarea, 5):
                self._servidor.force_exit = True
                self._tarea.cancel()
                await asyncio.gather(self._tarea, return_exceptions=True)
            elif not self._tarea.cancelled():
                self._tarea.result()
        except Exception as e:  # noqa: BLE001 - al detener, una falla del servidor sólo se anota
            log.warning("%s: el servidor de operación terminó con error: %s", self.servicio.nombre, e)
        self._servidor = self._tarea = None
