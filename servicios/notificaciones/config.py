"""Ajustes del servicio de notificaciones."""

from pydantic import Field

from plataforma.config import Ajustes


class AjustesNotificaciones(Ajustes):
    operadores: list[str] = Field(default_factory=list,
                                  description="Correos de operadores del otorgante que reciben copia (ALVA_OPERADORES, JSON).")
    intentos_max: int = Field(default=5, description="Intentos de entrega antes de darla por fallida.")
    smtp_timeout_s: float = 15.0
