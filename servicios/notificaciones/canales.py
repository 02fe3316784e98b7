"""Los dos canales: correo por SMTP y webhook firmado por HTTP; cada fallo dice si vale la pena reintentar."""

import json
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from datetime import UTC, datetime

import aiosmtplib
import httpx

from servicios.notificaciones.config import AjustesNotificaciones
from servicios.notificaciones.firma import CABECERA, firmar


class ErrorTemporal(Exception):
    """Vale la pena reintentar (SMTP 4xx, conexión caída, HTTP 5xx o 429); `espera_s` si el servidor la pidió."""

    def __init__(self, motivo: str, espera_s: float | None = None) -> None:
        super().__init__(motivo)
        self.espera_s = espera_s


class ErrorPermanente(Exception):
    """Repetir no cambiará la respuesta (SMTP 5xx, HTTP 4xx)."""


def correo(entrega, remitente: str) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = remitente, entrega["destinatario"], entrega["asunto"]
    # Fijo por entrega: si un reenvío es inevitable (ver README), lleva el mismo Message-ID.
    m["Message-ID"] = f"<{entrega['notificacion_id']}@alva.local>"
    m["X-ALVA-Notificacion"] = entrega["notificacion_id"]
    m["X-ALVA-Evento"] = entrega["evento_id"]
    m["X-ALVA-Aviso"] = entrega["aviso"]
    m.set_content(entrega["texto"])
    m.add_alternative(entrega["html"], subtype="html")
    for nombre, tipo, contenido in json.loads(entrega["adjuntos"]):
        principal, secundario = tipo.split("/", 1)
        m.add_attachment(contenido.encode(), maintype=principal, subtype=secundario, filename=nombre)
    return m


async def enviar_correo(ajustes: AjustesNotificaciones, entrega) -> None:
    try:
        await aiosmtplib.send(
            correo(entrega, ajustes.smtp_remitente), hostname=ajustes.smtp_host, port=ajustes.smtp_puerto,
            username=ajustes.smtp_usuario, password=ajustes.smtp_clave, start_tls=ajustes.smtp_starttls or None,
            cert_bundle=ajustes.smtp_ca, timeout=ajustes.smtp_timeout_s)
    except aiosmtplib.SMTPRecipientsRefused as e:
        codigos = [r.code for r in e.recipients]
        clase = ErrorPermanente if all(c >= 500 for c in codigos) else ErrorTemporal
        raise clase(f"SMTP rechazó al destinatario: {'; '.join(f'{r.code} {r.message}' for r in e.recipients)}") from e
    except aiosmtplib.SMTPResponseException as e:
        raise (ErrorPermanente if e.code >= 500 else ErrorTemporal)(f"SMTP {e.code}: {e.message}") from e
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as e:
        raise ErrorTemporal(f"SMTP: {type(e).__name__}: {e}") from e


async def enviar_webhook(ajustes: AjustesNotificaciones, cliente: httpx.AsyncClient, entrega) -> None:
    cuerpo = entrega["texto"].encode()
    cabeceras = {
        "Content-Type": "application/cloudevents+json",
        CABECERA: firmar(ajustes.secreto_de(entrega["destinatario"]), cuerpo),
        "ALVA-Entrega": entrega["notificacion_id"],
        "ALVA-Aviso": entrega["aviso"],
    }
    try:
        respuesta = await cliente.post(entrega["destinatario"], content=cuerpo, headers=cabeceras,
                                       timeout=ajustes.webhook_timeout_s)
    except httpx.HTTPError as e:
        raise ErrorTemporal(f"HTTP: {type(e).__name__}: {e}") from e
    if respuesta.is_success:
        return
    motivo = f"HTTP {respuesta.status_code} de {entrega['destinatario']}"
    if respuesta.status_code in (408, 429) or respuesta.status_code >= 500:
        raise ErrorTemporal(motivo, espera_pedida(respuesta.headers.get("Retry-After")))
    raise ErrorPermanente(motivo)


def espera_pedida(retry_after: str | None) -> float | None:
    """`Retry-After` en segundos o como fecha HTTP."""
    if not retry_after:
        return None
    if retry_after.strip().isdigit():
        return float(retry_after)
    try:
        return max(0.0, (parsedate_to_datetime(retry_after) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
