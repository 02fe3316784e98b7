"""Los dos canales: correo por SMTP y webhook firmado por HTTP; cada fallo dice si vale la pena reintentar."""

import json
import time
from datetime import UTC, datetime
from email import encoders
from email.charset import QP, Charset
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr, parsedate_to_datetime

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


_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP  # el texto se lee tal cual en el correo crudo, salvo acentos y eñes
PRUEBA_TRAS_S = 5.0  # una conexión sin usar desde hace más que esto se prueba (NOOP) antes de confiarle un correo


def _encabezado(texto: str) -> str | Header:
    return texto if texto.isascii() else Header(texto, "utf-8")


def _direccion(direccion: str) -> str:
    nombre, correo_ = parseaddr(direccion)
    return formataddr((nombre, correo_), charset="utf-8") if nombre else correo_


def correo(entrega, remitente: str) -> bytes:
    """El correo tal como viaja (texto y HTML, y los adjuntos): las clases MIME de la biblioteca estándar con su
    política compat32, que arma el mismo correo que `EmailMessage` en un tercio del tiempo."""
    cuerpo = MIMEMultipart("alternative")
    cuerpo.attach(MIMEText(entrega["texto"], "plain", _UTF8))
    cuerpo.attach(MIMEText(entrega["html"], "html", _UTF8))
    adjuntos = json.loads(entrega["adjuntos"])
    m = MIMEMultipart("mixed", _subparts=[cuerpo]) if adjuntos else cuerpo
    for nombre, tipo, contenido in adjuntos:
        parte = MIMEBase(*tipo.split("/", 1))
        parte.set_payload(contenido.encode())
        encoders.encode_base64(parte)
        parte.add_header("Content-Disposition", "attachment", filename=nombre)
        m.attach(parte)
    m["From"], m["To"] = _direccion(remitente), _direccion(entrega["destinatario"])
    m["Subject"] = _encabezado(entrega["asunto"])
    m["Date"] = formatdate(localtime=False, usegmt=True)
    # Fijo por entrega: si un reenvío es inevitable (ver README), lleva el mismo Message-ID.
    m["Message-ID"] = f"<{entrega['notificacion_id']}@alva.local>"
    m["X-ALVA-Notificacion"] = entrega["notificacion_id"]
    m["X-ALVA-Evento"] = entrega["evento_id"]
    m["X-ALVA-Aviso"] = entrega["aviso"]
    return m.as_bytes()


class Correos:
    """Las conexiones con el servidor SMTP se reusan: cada una lleva un correo a la vez y vuelve a quedar libre; hay
    tantas como entregas en curso a la vez, nunca más. Una que falló o que el servidor cerró se descarta; una que
    lleva un rato sin usarse se prueba con NOOP antes de confiarle un correo (si no responde, nada se envió por
    ella todavía)."""

    def __init__(self, ajustes: AjustesNotificaciones) -> None:
        self.ajustes = ajustes
        self._libres: list[tuple[aiosmtplib.SMTP, float]] = []

    async def enviar(self, entrega) -> None:
        """Un correo; `ErrorTemporal` o `ErrorPermanente` si no se pudo, según lo que dijo el servidor."""
        a = self.ajustes
        crudo, destinatario = correo(entrega, a.smtp_remitente), parseaddr(entrega["destinatario"])[1]
        smtp = None
        try:
            smtp = await self._conexion()
            await smtp.sendmail(parseaddr(a.smtp_remitente)[1], [destinatario], crudo, timeout=a.smtp_timeout_s)
        except aiosmtplib.SMTPRecipientsRefused as e:
            self._devolver(smtp)
            codigos = [r.code for r in e.recipients]
            clase = ErrorPermanente if all(c >= 500 for c in codigos) else ErrorTemporal
            raise clase(f"SMTP rechazó al destinatario: "
                        f"{'; '.join(f'{r.code} {r.message}' for r in e.recipients)}") from e
        except aiosmtplib.SMTPResponseException as e:
            self._devolver(smtp)  # el servidor respondió: la conexión sigue sirviendo si no la cerró
            raise (ErrorPermanente if e.code >= 500 else ErrorTemporal)(f"SMTP {e.code}: {e.message}") from e
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as e:
            self._descartar(smtp)
            raise ErrorTemporal(f"SMTP: {type(e).__name__}: {e}") from e
        except BaseException:
            self._descartar(smtp)
            raise
        self._devolver(smtp)

    async def _conexion(self) -> aiosmtplib.SMTP:
        while self._libres:
            smtp, desde = self._libres.pop()
            if not smtp.is_connected:
                continue
            if time.monotonic() - desde < PRUEBA_TRAS_S:
                return smtp
            try:
                await smtp.noop(timeout=self.ajustes.smtp_timeout_s)
                return smtp
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                self._descartar(smtp)
        a = self.ajustes
        smtp = aiosmtplib.SMTP(hostname=a.smtp_host, port=a.smtp_puerto, username=a.smtp_usuario,
                               password=a.smtp_clave, start_tls=a.smtp_starttls or None, cert_bundle=a.smtp_ca,
                               timeout=a.smtp_timeout_s)
        try:
            await smtp.connect()
        except BaseException:
            self._descartar(smtp)
            raise
        return smtp

    def libres(self) -> int:
        """Las conexiones libres que siguen abiertas."""
        return sum(1 for smtp, _ in self._libres if smtp.is_connected)

    def _devolver(self, smtp: aiosmtplib.SMTP | None) -> None:
        if smtp is not None and smtp.is_connected:
            self._libres.append((smtp, time.monotonic()))

    @staticmethod
    def _descartar(smtp: aiosmtplib.SMTP | None) -> None:
        if smtp is not None and smtp.is_connected:
            smtp.close()

    async def cerrar(self) -> None:
        """Se despide (QUIT) de cada conexión libre; las que no respondan se cierran igual."""
        libres, self._libres = self._libres, []
        for smtp, _ in libres:
            try:
                await smtp.quit(timeout=2)
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                self._descartar(smtp)


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
