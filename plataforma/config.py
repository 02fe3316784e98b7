"""Ajustes comunes (pydantic-settings): sin nada dado, apuntan al entorno embebido en loopback."""

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from plataforma import embebido
from plataforma.kafka import (ConexionKafka, SinCredenciales, bootstrap_embebido, ca_embebida, carpeta_principales,
                              leer_clave)


class Ajustes(BaseSettings):
    """Cada servicio extiende ésta con lo suyo; todas leen variables `ALVA_*` y `KAFKA_BOOTSTRAP_SERVERS`."""

    model_config = SettingsConfigDict(env_prefix="ALVA_", extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field(
        default_factory=embebido.kafka,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "ALVA_KAFKA_BOOTSTRAP_SERVERS"),
    )
    kafka_protocolo: str | None = Field(default=None, description="PLAINTEXT, SSL, SASL_PLAINTEXT o SASL_SSL "
                                       "(ALVA_KAFKA_PROTOCOLO); por omisión SASL_SSL en el embebido y con usuario.")
    kafka_mecanismo: str = Field(default="SCRAM-SHA-512", description="Mecanismo SASL (ALVA_KAFKA_MECANISMO).")
    kafka_usuario: str | None = Field(default=None, description="Principal SASL (ALVA_KAFKA_USUARIO); por omisión, "
                                                                "el propio de quien conecta (alva-<servicio>).")
    kafka_clave: SecretStr | None = Field(default=None, description="Su clave (ALVA_KAFKA_CLAVE).")
    kafka_clave_archivo: Path | None = Field(default=None, description="O un archivo con ella (ALVA_KAFKA_CLAVE_ARCHIVO).")
    kafka_ca: Path | None = Field(default=None, description="PEM de la autoridad que firmó el certificado del broker "
                                                            "(ALVA_KAFKA_CA); en el embebido, la suya.")
    postgres_dsn: str = Field(default_factory=embebido.postgres_dsn)
    smtp_host: str = embebido.HOST
    smtp_puerto: int = Field(default_factory=lambda: embebido.puerto("smtp"))
    smtp_usuario: str | None = None
    smtp_clave: str | None = None
    smtp_starttls: bool = False
    smtp_ca: str | None = Field(default=None, description="Certificados (PEM) con que validar al servidor SMTP "
                                                          "(ALVA_SMTP_CA); sin valor, los del sistema.")
    smtp_remitente: str = "ALVA PRODHEG <distintivo-alva@prodheg.example>"

    particiones: int = Field(default=3, description="Particiones de cada tópico que la plataforma crea.")
    replicacion: int = Field(default=1, description="Réplicas de cada tópico que la plataforma crea.")
    lote_max: int = Field(default=1500, description="Eventos por lote y transacción (cada uno ocupa memoria hasta "
                                                    "que el lote confirma: unos 30 KB por reporte en capacitacion).")
    lote_espera_ms: int = Field(default=50, description="Cuánto espera el broker a juntar un lote (fetch.max.wait).")
    lote_bytes_min: int = Field(default=256 * 1024, description="Bytes que el broker junta antes de responder, si "
                                                               "no vence la espera (fetch.min.bytes).")
    reposo_espera_ms: int = Field(default=1000, description="Sin trabajo, cuánto espera el broker con la petición "
                                                             "abierta (contesta en cuanto llega algo); 0 o menos que "
                                                             "lote_espera_ms: sin modo de reposo.")
    reposo_tras_s: float = Field(default=1.0, gt=0, description="Tras cuántos segundos sin lotes un servicio queda "
                                                                "en reposo.")
    metadata_max_age_ms: int = Field(default=300_000, description="Cada cuánto se relee la metadata de Kafka; los "
                                                                   "tópicos nuevos se oyen antes, por alva.control.")
    pool_max: int = 10
    periodo_s: float = Field(default=30.0, description="Cada cuánto corren las transiciones por tiempo.")
    pendientes_plazo_s: float = Field(default=86400.0, description="Cuánto espera una entrada a lo que le falta.")
    puerto_operacion: int | None = Field(
        default=None,
        description="Puerto HTTP de salud, métricas y AsyncAPI (ALVA_PUERTO_OPERACION); sin valor, el propio del "
                    "servicio (18081–18084, o el de ALVA_PUERTOS_OPERACION); 0, uno libre; negativo, sin servidor.")
    puertos_operacion: dict[str, int] = Field(
        default_factory=dict,
        description="El puerto propio de cada servicio, si no es el de siempre (ALVA_PUERTOS_OPERACION, JSON: "
                    '{"convenios": 28081, …}); lo lee también `alva servicios`.')
    host_operacion: str = Field(default="127.0.0.1", description="Dónde escucha ese servidor (ALVA_HOST_OPERACION).")
    url_publica: str = Field(default="http://127.0.0.1:18080",
                             description="Dónde se publican las páginas de verificación, las claves (JWKS) y las listas "
                                         "de estado que citan las credenciales (ALVA_URL_PUBLICA).")

    def conexion_kafka(self, principal: str) -> ConexionKafka:
        """Cómo conecta a Kafka quien se llama `principal` (si no se dio otro usuario): en el embebido, SASL_SSL con la
        clave que el aprovisionamiento le guardó; en un Kafka propio, lo que digan ALVA_KAFKA_*."""
        embebido_ = self.kafka_bootstrap_servers == bootstrap_embebido()
        usuario = self.kafka_usuario or principal
        protocolo = (self.kafka_protocolo or ("SASL_SSL" if embebido_ or self.kafka_usuario else "PLAINTEXT")).upper()
        ca = self.kafka_ca or (ca_embebida() if embebido_ else None)
        if protocolo not in ("SASL_SSL", "SASL_PLAINTEXT"):
            return ConexionKafka(self.kafka_bootstrap_servers, protocolo, None, None, None,
                                 ca if protocolo == "SSL" else None)
        if self.kafka_clave is not None:
            clave = self.kafka_clave.get_secret_value()
        else:
            ruta = self.kafka_clave_archivo or carpeta_principales() / f"{usuario}.json"
            try:
                clave = leer_clave(ruta)
            except OSError:
                raise SinCredenciales(f"falta la clave de {usuario} para Kafka: dé ALVA_KAFKA_CLAVE o "
                                      f"ALVA_KAFKA_CLAVE_ARCHIVO (no está en {ruta}); en el embebido la crea "
                                      "`make infra`.") from None
        return ConexionKafka(self.kafka_bootstrap_servers, protocolo, self.kafka_mecanismo.upper(), usuario, clave,
                             ca if protocolo == "SASL_SSL" else None)
