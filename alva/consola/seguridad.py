"""Quién está del otro lado: sesión firmada, CSRF en cada POST, freno a quien adivina claves y qué ve cada rol."""

import asyncio
import hmac
import secrets
import time
from collections import OrderedDict

from fastapi import HTTPException, Request

from alva.consola.usuarios import Usuario

CAMPO_CSRF = "csrf"
CABECERA_CSRF = "x-csrf"


class SinSesion(Exception):
    """Hace falta entrar; la consola lleva a /entrar y luego de vuelta."""


def token_csrf(request: Request) -> str:
    """El token CSRF de esta sesión (se crea la primera vez): va en cada formulario y en cada fetch."""
    if CAMPO_CSRF not in request.session:
        request.session[CAMPO_CSRF] = secrets.token_urlsafe(32)
    return request.session[CAMPO_CSRF]


async def proteger_post(request: Request) -> None:
    """Todo POST lleva el token de su sesión (campo `csrf` o cabecera X-CSRF); si no, 403."""
    if request.method != "POST":
        return
    esperado = request.session.get(CAMPO_CSRF)
    dado = request.headers.get(CABECERA_CSRF)
    if dado is None and request.headers.get("content-type", "").startswith(("multipart/", "application/x-www")):
        dado = (await request.form()).get(CAMPO_CSRF)
    if not esperado or not isinstance(dado, str) or not hmac.compare_digest(esperado, dado):
        raise HTTPException(403, "El formulario caducó o no vino de esta consola: recargue la página e intente de nuevo.")


def iniciar(request: Request, usuario: Usuario) -> None:
    """Sesión nueva al entrar (otra cookie y otro token: nada de la anterior sirve)."""
    request.session.clear()
    request.session.update({"usuario": usuario.usuario, CAMPO_CSRF: secrets.token_urlsafe(32)})


def cerrar(request: Request) -> None:
    request.session.clear()


def quien(request: Request) -> Usuario | None:
    """La cuenta de la sesión, tal como está hoy (una cuenta quitada o cambiada de rol deja de valer al momento)."""
    nombre = request.session.get("usuario")
    usuario = request.app.state.cuentas.buscar(nombre) if nombre else None
    if nombre and usuario is None:
        cerrar(request)
    return usuario


def con_sesion(request: Request) -> Usuario:
    if (usuario := quien(request)) is None:
        raise SinSesion()
    return usuario


def operador(request: Request) -> Usuario:
    usuario = con_sesion(request)
    if not usuario.opera:
        raise HTTPException(403, "Esta página es de quien opera la plataforma.")
    return usuario


def puede_ver(usuario: Usuario, institucion: str) -> bool:
    return usuario.opera or usuario.institucion == institucion


def de_la_institucion(request: Request, institucion: str) -> Usuario:
    """Quien opera ve cualquiera; una institución, sólo la suya: lo demás no existe para ella (404)."""
    usuario = con_sesion(request)
    if not puede_ver(usuario, institucion):
        raise HTTPException(404, "No existe, o no es de su institución.")
    return usuario


class Frenos:
    """Cada intento fallido (por usuario y por dirección) duplica la espera del siguiente, hasta `tope_s`."""

    def __init__(self, base_s: float = 0.5, tope_s: float = 8.0, olvido_s: float = 900.0, maximo: int = 10_000) -> None:
        self.base_s, self.tope_s, self.olvido_s, self.maximo = base_s, tope_s, olvido_s, maximo
        self._fallas: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def _fallas_de(self, clave: str) -> int:
        n, cuando = self._fallas.get(clave, (0, 0.0))
        return n if time.monotonic() - cuando < self.olvido_s else 0

    def espera(self, *claves: str) -> float:
        n = max(self._fallas_de(c) for c in claves)
        return 0.0 if n == 0 else min(self.tope_s, self.base_s * 2 ** (n - 1))

    async def frenar(self, *claves: str) -> None:
        if (s := self.espera(*claves)) > 0:
            await asyncio.sleep(s)

    def fallo(self, *claves: str) -> None:
        for c in claves:
            self._fallas[c] = (self._fallas_de(c) + 1, time.monotonic())
            self._fallas.move_to_end(c)
        while len(self._fallas) > self.maximo:
            self._fallas.popitem(last=False)

    def acierto(self, *claves: str) -> None:
        for c in claves:
            self._fallas.pop(c, None)
