"""Las páginas de quien opera: en vivo, cadenas, instituciones, rechazos, DLQ y servicios, como `alva`."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import APIRouter, Depends, Form, Request
from sse_starlette.sse import EventSourceResponse

from alva.cadena import armar
from alva.cli import dlq, grupos, outbox
from alva.cli.comun import topicos_alva
from alva.cli.observar import leer_eventos, sin_dlq
from alva.consola import consultas
from alva.consola.pagina import pagina
from alva.consola.rechazos import por_institucion_y_codigo
from alva.consola.seguridad import operador

router = APIRouter(prefix="/operacion", dependencies=[Depends(operador)])
VENTANAS = {"1h": timedelta(hours=1), "1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}


@router.get("/vivo")
async def vivo(request: Request, institucion: str = "", topico: str = "", tipo: str = ""):
    difusor = request.app.state.difusor
    lineas = sorted((l for l in difusor.recientes if l.pasa(institucion, topico, tipo)), key=lambda l: l.momento)
    return pagina(request, "vivo.html", lineas=lineas[-200:], topicos=difusor.topicos,
                  filtro={"institucion": institucion, "topico": topico, "tipo": tipo})


@router.get("/vivo/eventos")
async def vivo_eventos(request: Request, institucion: str = "", topico: str = "", tipo: str = ""):
    """Server-sent events: primero lo reciente que pasa el filtro, luego cada línea según llega."""
    difusor = request.app.state.difusor

    async def lineas():
        with difusor.suscribir() as cola:
            yield {"event": "estado", "data": json.dumps({"escuchando": difusor.escuchando})}
            for l in sorted(difusor.recientes, key=lambda l: l.momento):
                if l.pasa(institucion, topico, tipo):
                    yield {"event": "linea", "id": l.id, "data": json.dumps(l.como_dict(), ensure_ascii=False)}
            while True:
                l = await cola.get()
                if l.pasa(institucion, topico, tipo):
                    yield {"event": "linea", "id": l.id, "data": json.dumps(l.como_dict(), ensure_ascii=False)}

    return EventSourceResponse(lineas(), ping=15, headers={"Cache-Control": "no-store"})


@router.get("/cadena/{evento_id}")
async def cadena(request: Request, evento_id: str, desde: str = "1d"):
    """Como `alva observar --cadena`: todo lo leído desde `desde` antes de ahora, armado en árbol."""
    ventana = VENTANAS.get(desde, VENTANAS["1d"])
    opciones = request.app.state.kafka
    eventos = await leer_eventos(opciones, sin_dlq(await topicos_alva(opciones)), datetime.now(UTC) - ventana)
    return pagina(request, "cadena.html", cadena=armar(eventos, evento_id), evento_id=evento_id, desde=desde,
                  ventanas=list(VENTANAS), leidos=len(eventos))


@router.get("/instituciones")
async def instituciones(request: Request):
    async with request.app.state.pool.acquire() as conn:
        filas = await consultas.instituciones(conn)
        proximos = await consultas.por_vencer(conn)
    otorgantes = {vs[-1].otorgante for vs in request.app.state.programas.values() if vs}
    conocidas = {f["institucion"] for f in filas} | otorgantes
    sin_convenio = sorted(t.removeprefix("alva.ingreso.") for t in request.app.state.difusor.topicos
                          if t.startswith("alva.ingreso.") and t.removeprefix("alva.ingreso.") not in conocidas)
    return pagina(request, "instituciones.html", filas=filas, proximos=proximos, sin_convenio=sin_convenio,
                  hoy=datetime.now().date())


@router.get("/rechazos")
async def rechazos(request: Request, institucion: str = "", codigo: str = "", dias: int = 7):
    dias = max(1, min(dias, 90))
    eventos = await request.app.state.rechazos.de(dias, institucion or None, codigo or None)
    return pagina(request, "rechazos.html", resumen=por_institucion_y_codigo(eventos), eventos=eventos[:200],
                  total=len(eventos), filtro={"institucion": institucion, "codigo": codigo, "dias": dias})


@router.get("/dlq")
async def dlq_pagina(request: Request):
    filas = await dlq.listar(request.app.state.kafka)
    por_dlq: dict[str, dict] = {}
    for f in filas:
        d = por_dlq.setdefault(f["dlq"], {"total": 0, "pendientes": 0})
        d["total"] += 1
        d["pendientes"] += not f["reenviado"]
    recientes = sorted(filas, key=lambda f: (f["marca_ms"], f["dlq"], f["particion"], f["offset"]))[-200:]
    return pagina(request, "dlq.html", filas=recientes, por_dlq=por_dlq)


async def _listo(cliente: httpx.AsyncClient, servicio: str, url: str) -> dict:
    try:
        r = await cliente.get(url)
        cuerpo = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
        motivo = "; ".join(f"{n}: {v.get('motivo')}" for n, v in cuerpo.get("revisiones", {}).items() if not v.get("ok"))
        return {"servicio": servicio, "url": url, "listo": r.status_code == 200, "motivo": motivo or None}
    except httpx.HTTPError as e:
        return {"servicio": servicio, "url": url, "listo": False, "motivo": f"no responde ({type(e).__name__})"}


@router.get("/servicios")
async def servicios(request: Request):
    urls = request.app.state.ajustes.salud_servicios
    async with httpx.AsyncClient(timeout=3) as cliente:
        salud = await asyncio.gather(*(_listo(cliente, s, u) for s, u in urls.items()))
    retrasos = await grupos.retrasos(request.app.state.kafka)
    async with request.app.state.pool.acquire() as conn:
        apartados = await outbox.apartados(conn)
    return pagina(request, "servicios.html", salud=salud, retrasos=retrasos, apartados=apartados)


@router.post("/dlq/reenviar")
async def dlq_reenviar(request: Request, topico: str = Form(""), confirmado: str = Form("")):
    """Como `alva dlq reenviar [--topico]`: una sola vez, por alva.reenvios, tras confirmar."""
    if confirmado != "si":
        return pagina(request, "confirmar.html", accion="/operacion/dlq/reenviar", campos={"topico": topico},
                      titulo="Reenviar la DLQ",
                      pregunta=f"¿Reenviar, una sola vez, lo aún no reenviado de {topico or 'todas las DLQ'}?")
    saltados: list[str] = []
    async with request.app.state.reenvio:
        reenviados = await dlq.reenviar(request.app.state.kafka, topico or None, al_saltar=saltados.append)
    return pagina(request, "resultado.html", titulo="Reenvío de la DLQ", reenviados=reenviados, saltados=saltados,
                  volver="/operacion/dlq")
