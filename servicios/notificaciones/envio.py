"""Envío de las entregas pendientes por SMTP; cada resultado se registra y se publica en la misma transacción."""

import asyncio
import json
import logging
import random
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from esquemas import CloudEvent
from esquemas.notificaciones import Canal, NotificacionEnviada, NotificacionFallida
from plataforma import outbox
from plataforma.consumo import Contexto
from servicios.notificaciones.config import AjustesNotificaciones
from servicios.notificaciones.repositorio import PostgresNotificaciones

log = logging.getLogger(__name__)


class ErrorPermanente(Exception):
    """El servidor dijo que no, y repetir no cambiará la respuesta (p. ej. SMTP 5xx)."""


def correo(entrega, remitente: str) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = remitente, entrega["destinatario"], entrega["asunto"]
    m["Message-ID"] = make_msgid(domain="alva.local")
    m["X-ALVA-Notificacion"] = entrega["notificacion_id"]
    m["X-ALVA-Evento"] = entrega["evento_id"]
    m.set_content(entrega["texto"])
    m.add_alternative(entrega["html"], subtype="html")
    for nombre, tipo, contenido in json.loads(entrega["adjuntos"]):
        principal, secundario = tipo.split("/", 1)
        m.add_attachment(contenido.encode(), maintype=principal, subtype=secundario, filename=nombre)
    return m


async def enviar_correo(ajustes: AjustesNotificaciones, mensaje: EmailMessage) -> None:
    try:
        await aiosmtplib.send(
            mensaje, hostname=ajustes.smtp_host, port=ajustes.smtp_puerto, username=ajustes.smtp_usuario,
            password=ajustes.smtp_clave, start_tls=ajustes.smtp_starttls or None, timeout=ajustes.smtp_timeout_s,
        )
    except aiosmtplib.SMTPResponseException as e:
        if 500 <= e.code < 600:
            raise ErrorPermanente(f"SMTP {e.code}: {e.message}") from e
        raise


def espera_reintento(intentos: int) -> float:
    """Exponencial con variación aleatoria: 2, 4, 8… segundos, hasta 5 minutos."""
    return min(300.0, 2.0 ** intentos) * random.uniform(0.5, 1.0)


async def entregar_pendientes(servicio) -> None:
    """Tarea de fondo del servicio: despierta con NOTIFY o cada segundo."""
    despertar = asyncio.Event()

    def al_notificar(*_: object) -> None:
        despertar.set()

    async with servicio.pool.acquire() as escucha:
        await escucha.add_listener("entregas_notificaciones", al_notificar)
        try:
            while True:
                try:
                    while await entregar_lote(servicio):
                        pass
                except Exception:  # noqa: BLE001 - la tarea no muere; se reintenta en el siguiente turno
                    log.exception("notificaciones: fallo al entregar")
                try:
                    await asyncio.wait_for(despertar.wait(), 1.0)
                except TimeoutError:
                    pass
                despertar.clear()
        finally:
            if not escucha.is_closed():
                await escucha.remove_listener("entregas_notificaciones", al_notificar)


async def entregar_lote(servicio, cuantas: int = 20) -> int:
    ajustes: AjustesNotificaciones = servicio.ajustes
    async with servicio.pool.acquire() as conn, conn.transaction():
        repo = PostgresNotificaciones(conn)
        entregas = await repo.tomar_pendientes(cuantas)
        salidas: list[outbox.Mensaje] = []
        for e in entregas:
            salidas += await _entregar(conn, repo, ajustes, e)
        await outbox.encolar(conn, servicio.nombre, salidas)
    if salidas:
        servicio.relay.despertar()
    return len(entregas)


async def _entregar(conn, repo: PostgresNotificaciones, ajustes: AjustesNotificaciones, e) -> list[outbox.Mensaje]:
    ctx = Contexto(conn, "notificaciones", CloudEvent.model_validate_json(e["causa"]))
    comun = dict(notificacion_id=e["notificacion_id"], evento_id=e["evento_id"], evento_tipo=e["evento_tipo"],
                 institucion=e["institucion"], canal=Canal.email, destinatario=e["destinatario"])
    try:
        await enviar_correo(ajustes, correo(e, ajustes.smtp_remitente))
    except Exception as error:  # noqa: BLE001 - todo fallo de envío queda registrado
        intentos = e["intentos"] + 1
        if isinstance(error, ErrorPermanente) or intentos >= ajustes.intentos_max:
            await repo.marcar(e["notificacion_id"], "fallida", str(error))
            ctx.emitir(NotificacionFallida(**comun, motivo=str(error) or type(error).__name__, intentos=intentos),
                       institucion=e["institucion"], subject=e["notificacion_id"])
        else:
            log.info("entrega %s falló (%s); reintento %d", e["notificacion_id"], error, intentos)
            await repo.marcar(e["notificacion_id"], "pendiente", str(error), espera_reintento(intentos))
        return ctx.salidas
    await repo.marcar(e["notificacion_id"], "enviada")
    ctx.emitir(NotificacionEnviada(**comun, asunto=e["asunto"], enviada_en=datetime.now(UTC)),
               institucion=e["institucion"], subject=e["notificacion_id"])
    return ctx.salidas
