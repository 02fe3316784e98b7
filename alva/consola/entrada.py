"""Entrar y salir, y la portada: cada quien a lo suyo."""

from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from alva.consola import seguridad
from alva.consola.pagina import pagina
from alva.consola.usuarios import CREAR_PRIMERA, UsuarioInvalido

router = APIRouter()


def _destino(usuario) -> str:
    return "/operacion/vivo" if usuario.opera else f"/instituciones/{quote(usuario.institucion, safe='')}"


def _seguro(siguiente: str | None) -> str | None:
    """Sólo rutas de esta consola (nada de //otro-sitio ni esquemas)."""
    if siguiente and siguiente.startswith("/") and not siguiente.startswith("//") and "\\" not in siguiente:
        return siguiente
    return None


@router.get("/")
async def portada(request: Request):
    if (usuario := seguridad.quien(request)) is not None:
        return RedirectResponse(_destino(usuario), 303)
    return pagina(request, "portada.html")


def _crear_primera(request: Request) -> str | None:
    """Recién instalada, sin ninguna cuenta: cómo se crea la primera."""
    try:
        return None if request.app.state.cuentas.todas() else CREAR_PRIMERA
    except UsuarioInvalido:
        return None


@router.get("/entrar")
async def entrar_pagina(request: Request, siguiente: str | None = None):
    return pagina(request, "entrar.html", siguiente=_seguro(siguiente), crear_primera=_crear_primera(request))


@router.post("/entrar")
async def entrar(request: Request, usuario: str = Form(""), clave: str = Form(""), siguiente: str | None = Form(None)):
    frenos = request.app.state.frenos
    llaves = (f"u:{usuario.strip().lower()}", f"ip:{request.client.host if request.client else '?'}")
    await frenos.frenar(*llaves)  # cada falla reciente duplica la espera de quien insiste
    cuenta = request.app.state.cuentas.autenticar(usuario.strip().lower(), clave)
    if cuenta is None:
        frenos.fallo(*llaves)
        return pagina(request, "entrar.html", estado=401, siguiente=_seguro(siguiente), usuario_dado=usuario,
                      error="Usuario o clave incorrectos.", crear_primera=_crear_primera(request))
    frenos.acierto(*llaves)
    seguridad.iniciar(request, cuenta)
    return RedirectResponse(_seguro(siguiente) or _destino(cuenta), 303)


@router.post("/salir")
async def salir(request: Request):
    seguridad.cerrar(request)
    return RedirectResponse("/", 303)
