"""Las entregas pendientes salen a la vez, cada una con su plazo; cada resultado se registra y se publica."""

import asyncio
import logging
import random
from datetime import UTC, datetime

import httpx

import orjson

from esquemas.notificaciones import NotificacionEnviada, NotificacionFallida
from plataforma import outbox
from plataforma.contexto import Causa, Contexto
from plataforma.esperas import esperar_evento
from servicios.notificaciones.canales import ErrorPermanente, ErrorTemporal, enviar_correo, enviar_webhook
from servicios.notificaciones.config import AjustesNotificaciones
from servicios.notificaciones.repositorio import PostgresNotificaciones

log = logging.getLogger(__name__)
MARGEN_S = 30.0  # más allá del plazo del canal, para dar por muerto a quien tomó una entrega


def espera_reintento(intentos: int, ajustes: AjustesNotificaciones, pedida: float | None = None) -> float:
    """Exponencial con variación aleatoria (base, 2×base, 4×base… hasta el máximo), o lo que pidió el servidor."""
    if pedida is not None:
        return min(pedida, ajustes.reintento_max_s)
    return min(ajustes.reintento_max_s, ajustes.reintento_base_s * 2 ** (intentos - 1)) * random.uniform(0.5, 1.0)


async def entregar_pendientes(servicio) -> None:
    """Tarea de fondo: toma entregas mientras haya lugar; una lenta o caída no frena a las demás."""
    ajustes: AjustesNotificaciones = servicio.ajustes
    despertar, en_curso = asyncio.Event(), set()
    plazo = max(ajustes.smtp_timeout_s, ajustes.webhook_timeout_s) + MARGEN_S

    def al_terminar(tarea: asyncio.Task) -> None:
        en_curso.discard(tarea)
        despertar.set()

    def al_notificar(*_: object) -> None:
        despertar.set()

    async with httpx.AsyncClient() as cliente, servicio.pool.acquire() as escucha:
        await escucha.add_listener("entregas_notificaciones", al_notificar)
        try:
            while True:
                despertar.clear()
                try:
                    if libres := ajustes.entregas_a_la_vez - len(en_curso):
                        async with servicio.pool.acquire() as conn:
                            for e in await PostgresNotificaciones(conn).tomar(libres, plazo):
                                tarea = asyncio.create_task(entregar(servicio, cliente, e))
                                en_curso.add(tarea)
                                tarea.add_done_callback(al_terminar)
                except Exception:  # noqa: BLE001 - la tarea no muere; se reintenta en el siguiente turno
                    log.exception("notificaciones: no se pudieron tomar entregas")
                await esperar_evento(despertar, 1.0)
        finally:
            for tarea in list(en_curso):
                tarea.cancel()
            await asyncio.gather(*en_curso, return_exceptions=True)
            if not escucha.is_closed():
                await escucha.remove_listener("entregas_notificaciones", al_notificar)


async def entregar(servicio, cliente: httpx.AsyncClient, e) -> None:
    ajustes: AjustesNotificaciones = servicio.ajustes
    estado, error, espera = "enviada", None, 0.0
    try:
        if e["canal"] == "email":
            await enviar_correo(ajustes, e)
        else:
            await enviar_webhook(ajustes, cliente, e)
    except (ErrorPermanente, KeyError) as x:  # KeyError: ya no hay secreto configurado para ese webhook
        estado, error = "fallida", str(x)
    except ErrorTemporal as x:
        error = str(x)
        estado = "fallida" if e["intentos"] + 1 >= ajustes.intentos_max else "pendiente"
        espera = espera_reintento(e["intentos"] + 1, ajustes, x.espera_s)
        log.info("entrega %s (%s): %s; %s", e["notificacion_id"], e["destinatario"], error, estado)
    await registrar(servicio, e, estado, error, espera)


async def registrar(servicio, e, estado: str, error: str | None, espera: float) -> None:
    async with servicio.pool.acquire() as conn, conn.transaction():
        if not await PostgresNotificaciones(conn).registrar(e["notificacion_id"], e["tomada_hasta"], estado, error,
                                                            espera):
            return
        if estado == "pendiente":
            return
        ahora = datetime.now(UTC)  # lo que registra es un efecto afuera (un correo, un POST), no un evento repetible
        ctx = Contexto(None, servicio.nombre, Causa.desde_sobre(orjson.loads(e["causa"])), ahora)
        comun = dict(notificacion_id=e["notificacion_id"], evento_id=e["evento_id"], evento_tipo=e["evento_tipo"],
                     institucion=e["institucion"], canal=e["canal"], destinatario=e["destinatario"])
        if estado == "enviada":
            hecho = NotificacionEnviada(**comun, asunto=e["asunto"], enviada_en=ahora)
        else:
            hecho = NotificacionFallida(**comun, motivo=error or "desconocido", intentos=e["intentos"] + 1)
        ctx.emitir(hecho, institucion=e["institucion"], subject=e["notificacion_id"])
        await outbox.encolar(conn, servicio.nombre, ctx.salidas)
    servicio.relay.despertar()
