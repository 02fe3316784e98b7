"""La app ASGI de la consola: ajustes → recursos (PostgreSQL de sólo lectura, Kafka de quien opera), rutas y salud."""

import asyncio
import contextlib
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import asyncpg
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware.sessions import SessionMiddleware

from alva.consola import acciones, entrada, instituciones, operadores, publico
from alva.consola.config import AjustesConsola
from alva.consola.pagina import pagina
from alva.consola.rechazos import Rechazos
from alva.consola.seguridad import Frenos, SinSesion, proteger_post
from alva.consola.vivo import Difusor
from alva.lineas import detalle, tipo_corto
from servicios.distintivos.reglas import cargar

AQUI = Path(__file__).parent
OPERADOR = "alva-operador"


def plantillas() -> Environment:
    entorno = Environment(loader=FileSystemLoader(AQUI / "plantillas"), autoescape=select_autoescape(default=True))
    entorno.filters["url"] = lambda texto: quote(str(texto), safe="")
    entorno.filters["fecha"] = fecha
    entorno.globals.update(clase=clase_topico, corto=tipo_corto, detalle=detalle)
    return entorno


MESES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
         "noviembre", "diciembre")


def fecha(valor) -> str:
    """`2026-11-22T00:00:00Z` o una fecha → «22 de noviembre de 2026» (sin depender del locale del sistema)."""
    try:
        dia = valor if isinstance(valor, date) else datetime.fromisoformat(str(valor).replace("Z", "+00:00")).date()
    except ValueError:
        return str(valor)
    return f"{dia.day} de {MESES[dia.month - 1]} de {dia.year}"


def clase_topico(topico: str) -> str:
    """La clase CSS (el color) de un tópico, como en `alva observar`."""
    for prefijo in ("alva.ingreso.", "alva.respuestas."):
        if topico.startswith(prefijo):
            return "t-" + prefijo.split(".")[1]
    return "t-" + topico.removeprefix("alva.")


@contextlib.asynccontextmanager
async def _recursos(app: FastAPI):
    ajustes: AjustesConsola = app.state.ajustes
    # Sólo lectura: cada servicio es dueño de su esquema; la consola sólo mira (como `alva estado`).
    app.state.pool = await asyncpg.create_pool(ajustes.postgres_dsn, min_size=1, max_size=4, timeout=10,
                                               server_settings={"default_transaction_read_only": "on",
                                                                "application_name": "alva-consola"})
    app.state.difusor = Difusor(app.state.kafka)
    app.state.rechazos = Rechazos(app.state.kafka)
    app.state.difusor.abrir()
    try:
        yield
    finally:
        await app.state.difusor.cerrar()
        await app.state.pool.close()


def crear_app(ajustes: AjustesConsola | None = None) -> FastAPI:
    ajustes = ajustes or AjustesConsola()
    app = FastAPI(title="Consola ALVA", docs_url=None, redoc_url=None, openapi_url=None, lifespan=_recursos,
                  dependencies=[Depends(proteger_post)])
    app.state.ajustes = ajustes
    app.state.kafka = ajustes.conexion_kafka(OPERADOR).aiokafka()  # quien opera: lee todo, escribe casi nada
    app.state.cuentas = ajustes.cuentas()
    app.state.frenos = Frenos()
    app.state.plantillas = plantillas()
    app.state.programas = cargar(ajustes.carpeta_reglas)
    app.state.reenvio = asyncio.Lock()  # un reenvío de la DLQ a la vez
    app.add_middleware(SessionMiddleware, secret_key=ajustes.secreto(), session_cookie="alva_sesion",
                       max_age=int(timedelta(hours=ajustes.sesion_horas).total_seconds()), same_site="lax",
                       https_only=ajustes.cookie_segura)
    app.mount("/estaticos", StaticFiles(directory=AQUI / "estaticos"), name="estaticos")
    for modulo in (entrada, publico, operadores, acciones, instituciones):
        app.include_router(modulo.router)
    app.add_api_route("/salud/vivo", vivo)
    app.add_api_route("/salud/listo", listo)
    app.add_exception_handler(SinSesion, _a_entrar)
    app.add_exception_handler(HTTPException, _error)
    app.add_exception_handler(404, _error)
    return app


async def vivo() -> dict:
    return {"servicio": "consola", "vivo": True}


async def listo(request: Request) -> JSONResponse:
    """PostgreSQL responde SELECT 1 y la lectura en vivo de Kafka está al corriente; si no, 503 con el motivo."""
    revisiones = {"postgres": {"ok": True}, "kafka": {"ok": True}}
    try:
        async with asyncio.timeout(2), request.app.state.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
    except Exception as e:  # noqa: BLE001 - cualquier falla es "no listo", con su motivo
        revisiones["postgres"] = {"ok": False, "motivo": f"{type(e).__name__}: {e}"}
    difusor = request.app.state.difusor
    if not difusor.escuchando:
        revisiones["kafka"] = {"ok": False, "motivo": difusor.error or "la lectura en vivo aún no empieza"}
    fallan = [n for n, r in revisiones.items() if not r["ok"]]
    return JSONResponse({"servicio": "consola", "listo": not fallan, "fallan": fallan, "revisiones": revisiones},
                        200 if not fallan else 503)


async def _a_entrar(request: Request, _: SinSesion):
    if request.method != "GET":
        return JSONResponse({"error": "Hace falta entrar."}, 401)
    siguiente = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/entrar?siguiente={quote(siguiente, safe='')}", 303)


async def _error(request: Request, error):
    codigo = getattr(error, "status_code", 404)
    detalle = getattr(error, "detail", None) or "No existe esa página."
    if "text/html" not in request.headers.get("accept", "text/html"):
        return JSONResponse({"error": detalle}, codigo)
    return pagina(request, "error.html", codigo=codigo, detalle=detalle, estado=codigo)
