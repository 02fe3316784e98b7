"""Cada página: su plantilla con quién mira, su token CSRF y la sección en que está."""

from fastapi import Request
from fastapi.responses import HTMLResponse

from alva.consola.seguridad import quien, token_csrf


def pagina(request: Request, plantilla: str, *, estado: int = 200, cabeceras: dict | None = None,
           **contexto) -> HTMLResponse:
    entorno = request.app.state.plantillas
    html = entorno.get_template(plantilla).render(
        request=request, usuario=quien(request), csrf=token_csrf(request), ruta=request.url.path, **contexto)
    respuesta = HTMLResponse(html, estado, headers=cabeceras)
    respuesta.headers.setdefault("Cache-Control", "no-store")
    respuesta.headers["X-Content-Type-Options"] = "nosniff"
    respuesta.headers["X-Frame-Options"] = "DENY"
    respuesta.headers["Referrer-Policy"] = "same-origin"
    respuesta.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                                    "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
    return respuesta
