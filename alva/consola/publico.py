"""Lo público, sin entrar: cada distintivo, la verificación, y el perfil, claves y listas de estado del emisor."""

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from alva.consola import consultas
from alva.consola.pagina import pagina
from alva.consola.programas import en_palabras
from alva.consola.verificacion import TAMANO_MAXIMO, verificar_jwt
from servicios.distintivos.credencial import CONTEXTO_OB3, CONTEXTO_VC

router = APIRouter()
CACHE_CLAVES = "public, max-age=300"  # una clave nueva se publica antes de firmar con ella
CACHE_LISTA = "public, max-age=60, must-revalidate"  # una revocación se ve en un minuto a lo más
CACHE_PERFIL = "public, max-age=300"
TIPOS_JSON = ("application/ld+json", "application/json")


def _url_publica(request: Request) -> str:
    return request.app.state.ajustes.url_publica.rstrip("/")


def _emisor(request: Request, otorgante: str) -> dict | None:
    """Nombre, sitio y programas del otorgante, de las reglas de sus programas."""
    reglas = [vs[-1] for vs in request.app.state.programas.values() if vs and vs[-1].otorgante == otorgante]
    if not reglas:
        return None
    return {"id": otorgante, "nombre": reglas[0].otorgante_nombre, "url": reglas[0].otorgante_url,
            "programas": [{"programa": r.programa, "nombre": r.nombre} for r in reglas]}


@router.get("/distintivos/{distintivo_id}")
async def distintivo(request: Request, distintivo_id: str):
    async with request.app.state.pool.acquire() as conn:
        fila = await consultas.distintivo(conn, distintivo_id)
        if fila is None:
            raise HTTPException(404, "No hay un distintivo con ese identificador.")
        resultado = await verificar_jwt(conn, fila["credencial"], _url_publica(request))
    return pagina(request, "distintivo.html", distintivo=fila, resultado=resultado,
                  cabeceras={"Cache-Control": "no-cache"})


@router.get("/verificar")
async def verificar_pagina(request: Request):
    return pagina(request, "verificar.html", resultado=None)


@router.post("/verificar")
async def verificar(request: Request, archivo: UploadFile | None = File(None), jwt: str = Form("")):
    texto = jwt
    if archivo is not None and archivo.filename:
        crudo = await archivo.read(TAMANO_MAXIMO + 1)
        texto = crudo.decode("utf-8", "replace")
    async with request.app.state.pool.acquire() as conn:
        resultado = await verificar_jwt(conn, texto, _url_publica(request))
    return pagina(request, "verificar.html", resultado=resultado)


def _quiere_json(request: Request) -> bool:
    acepta = request.headers.get("accept", "")
    return any(t in acepta for t in TIPOS_JSON) and "text/html" not in acepta


@router.get("/emisores/{otorgante}")
async def emisor(request: Request, otorgante: str):
    datos = _emisor(request, otorgante)
    async with request.app.state.pool.acquire() as conn:
        claves = await consultas.jwks(conn, otorgante)
        listas = await consultas.listas(conn, otorgante)
    if datos is None and not claves:
        raise HTTPException(404, "No hay un emisor con ese identificador.")
    base = f"{_url_publica(request)}/emisores/{otorgante}"
    datos = datos or {"id": otorgante, "nombre": otorgante, "url": None, "programas": []}
    perfil = {"@context": [CONTEXTO_VC, CONTEXTO_OB3], "id": base, "type": ["Profile"], "name": datos["nombre"],
              **({"url": datos["url"]} if datos["url"] else {}),
              "jwks_uri": f"{base}/jwks.json", "statusLists": [l["url"] for l in listas]}
    cabeceras = {"Cache-Control": CACHE_PERFIL, "Vary": "Accept",
                 "Link": f'<{base}/jwks.json>; rel="jwks"; type="application/jwk-set+json"'}
    if _quiere_json(request):
        tipo = "application/ld+json" if "application/ld+json" in request.headers.get("accept", "") else "application/json"
        return JSONResponse(perfil, headers=cabeceras, media_type=tipo)
    return pagina(request, "emisor.html", emisor=datos, perfil=perfil, claves=claves, listas=listas, cabeceras=cabeceras)


@router.get("/emisores/{otorgante}/programas/{programa}")
async def programa(request: Request, otorgante: str, programa: str):
    """El logro que nombra cada credencial (`achievement.id`): qué pide el programa, en palabras."""
    versiones = request.app.state.programas.get(programa) or []
    if not versiones or versiones[-1].otorgante != otorgante:
        raise HTTPException(404, "Ese emisor no tiene un programa con ese nombre.")
    return pagina(request, "programa.html", p=en_palabras(versiones[-1]), cabeceras={"Cache-Control": CACHE_PERFIL})


@router.get("/emisores/{otorgante}/jwks.json")
async def jwks(request: Request, otorgante: str):
    async with request.app.state.pool.acquire() as conn:
        claves = await consultas.jwks(conn, otorgante)
    if not claves:
        raise HTTPException(404, "Ese emisor no tiene claves publicadas.")
    return JSONResponse({"keys": claves}, media_type="application/jwk-set+json",
                        headers={"Cache-Control": CACHE_CLAVES, "Access-Control-Allow-Origin": "*"})


@router.get("/emisores/{otorgante}/listas/{programa}")
async def lista(request: Request, otorgante: str, programa: str):
    async with request.app.state.pool.acquire() as conn:
        token = await consultas.lista(conn, otorgante=otorgante, programa=programa)
    if token is None:
        raise HTTPException(404, "Ese emisor no ha publicado una lista de estado para ese programa.")
    return Response(token, media_type="application/vc+jwt",
                    headers={"Cache-Control": CACHE_LISTA, "Access-Control-Allow-Origin": "*"})
