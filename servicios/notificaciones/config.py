"""Ajustes del servicio de notificaciones."""

from pydantic import BaseModel, Field, SecretStr

from plataforma.config import Ajustes
from servicios.notificaciones.destinatarios import Contacto, Webhook


class Operador(BaseModel):
    email: str
    avisos: list[str] | None = None


class WebhookConfigurado(BaseModel):
    """Un sistema de una institución que recibe los avisos por HTTP, firmados con su propio secreto."""

    institucion: str
    url: str
    secreto: SecretStr
    avisos: list[str] | None = None


class AjustesNotificaciones(Ajustes):
    operadores: list[str | Operador] = Field(
        default_factory=list, description="Operadores del otorgante que reciben copia (ALVA_OPERADORES, JSON).")
    webhooks: list[WebhookConfigurado] = Field(
        default_factory=list, description="Webhooks de las instituciones (ALVA_WEBHOOKS, JSON); el secreto no viaja "
                                          "por ningún tópico.")
    intentos_max: int = Field(default=5, description="Intentos de entrega antes de darla por fallida.")
    reintento_base_s: float = Field(default=2.0, description="Primera espera antes de reintentar; se duplica.")
    reintento_max_s: float = 300.0
    smtp_timeout_s: float = 15.0
    webhook_timeout_s: float = 10.0
    entregas_a_la_vez: int = Field(default=20, description="Entregas en curso a la vez; una lenta no frena a las demás.")
    por_vencer_dias: list[int] = Field(default=[30, 7, 1], description="Días antes del fin de vigencia para avisar.")
    rechazos_periodo_s: float = Field(default=3600.0, description="Los rechazos de una institución llegan por correo "
                                                                  "en un resumen por periodo (ALVA_RECHAZOS_PERIODO_S).")

    def operadores_como_contactos(self) -> list[Contacto]:
        return [Contacto(o, "operador") if isinstance(o, str) else
                Contacto(o.email, "operador", tuple(o.avisos) if o.avisos is not None else None)
                for o in self.operadores]

    def secreto_de(self, url: str) -> bytes:
        for w in self.webhooks:
            if w.url == url:
                return w.secreto.get_secret_value().encode()
        raise KeyError(f"no hay webhook configurado para {url}")

    def webhooks_como_destinatarios(self) -> list[Webhook]:
        return [Webhook(w.institucion, w.url, tuple(w.avisos) if w.avisos is not None else None) for w in self.webhooks]
