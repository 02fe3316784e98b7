"""Hechos que publica el servicio de notificaciones en `alva.notificaciones`."""

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from esquemas.comun import Evento, Slug


class Canal(StrEnum):
    email = "email"
    webhook = "webhook"


TOPICO = "alva.notificaciones"


class NotificacionEnviada(Evento):
    """Una confirmación llegó a su destinatario."""

    tipo = "mx.alva.notificaciones.notificacion.enviada.v1"

    notificacion_id: str
    evento_id: str = Field(description="El evento que se notificó.")
    evento_tipo: str
    institucion: Slug
    canal: Canal
    destinatario: str = Field(examples=["igualdad.gto@imss.example"])
    asunto: str
    enviada_en: datetime


class NotificacionFallida(Evento):
    """Una confirmación no pudo entregarse tras sus intentos."""

    tipo = "mx.alva.notificaciones.notificacion.fallida.v1"

    notificacion_id: str
    evento_id: str
    evento_tipo: str
    institucion: Slug
    canal: Canal
    destinatario: str
    motivo: str
    intentos: int
