"""Conexión de cada cliente a Kafka (SASL_SSL + SCRAM por omisión) para aiokafka, FastStream y librdkafka."""

from __future__ import annotations

import dataclasses
import json
import os
import ssl
from pathlib import Path
from typing import Any

from plataforma.embebido import carpeta_datos, puertos

HOST_EMBEBIDO = "127.0.0.1"
PROTOCOLOS_TLS = ("SSL", "SASL_SSL")
PROTOCOLOS_SASL = ("SASL_PLAINTEXT", "SASL_SSL")
VARIABLES = ("ALVA_KAFKA_PROTOCOLO", "ALVA_KAFKA_MECANISMO", "ALVA_KAFKA_USUARIO", "ALVA_KAFKA_CLAVE",
             "ALVA_KAFKA_CLAVE_ARCHIVO", "ALVA_KAFKA_CA")


class SinCredenciales(RuntimeError):
    """No hay con qué autenticarse: el mensaje dice dónde se buscó y cómo darlas."""


@dataclasses.dataclass(frozen=True)
class ConexionKafka:
    bootstrap: str
    protocolo: str = "SASL_SSL"
    mecanismo: str | None = "SCRAM-SHA-512"
    usuario: str | None = None
    clave: str | None = dataclasses.field(default=None, repr=False)
    ca: Path | None = None  # autoridad con que validar al broker; sin ella, las del sistema

    @property
    def tls(self) -> bool:
        return self.protocolo in PROTOCOLOS_TLS

    @property
    def sasl(self) -> bool:
        return self.protocolo in PROTOCOLOS_SASL

    def contexto_ssl(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        if self.ca is None:
            return ssl.create_default_context()
        from aiokafka.helpers import create_ssl_context

        return create_ssl_context(cafile=str(self.ca))

    def aiokafka(self) -> dict[str, Any]:
        """kwargs para AIOKafkaProducer, AIOKafkaConsumer y AIOKafkaAdminClient."""
        opciones: dict[str, Any] = {"bootstrap_servers": self.bootstrap, "security_protocol": self.protocolo}
        if self.sasl:
            opciones |= {"sasl_mechanism": self.mecanismo, "sasl_plain_username": self.usuario,
                         "sasl_plain_password": self.clave}
        if self.tls:
            opciones["ssl_context"] = self.contexto_ssl()
        return opciones

    def faststream(self) -> dict[str, Any]:
        """kwargs para faststream.kafka.KafkaBroker: `bootstrap_servers` y `security`."""
        from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

        opciones: dict[str, Any] = {"bootstrap_servers": self.bootstrap}
        if self.sasl:
            clase = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}
            if self.mecanismo not in clase:
                raise ValueError(f"FastStream no admite el mecanismo SASL {self.mecanismo!r} con usuario y clave")
            opciones["security"] = clase[self.mecanismo](self.usuario or "", self.clave or "",
                                                         ssl_context=self.contexto_ssl(), use_ssl=self.tls)
        elif self.tls:
            opciones["security"] = BaseSecurity(ssl_context=self.contexto_ssl(), use_ssl=True)
        return opciones

    def librdkafka(self) -> dict[str, str]:
        """Propiedades de librdkafka (confluent-kafka, kcat)."""
        propiedades = {"bootstrap.servers": self.bootstrap, "security.protocol": self.protocolo}
        if self.sasl:
            propiedades |= {"sasl.mechanisms": self.mecanismo or "", "sasl.username": self.usuario or "",
                            "sasl.password": self.clave or ""}
        if self.tls and self.ca is not None:
            propiedades["ssl.ca.location"] = str(self.ca)
        return propiedades

    def propiedades(self) -> str:
        """Texto de un archivo de propiedades para `kcat -F` (o cualquier cliente de librdkafka)."""
        return "".join(f"{clave}={valor}\n" for clave, valor in self.librdkafka().items())

    def ajustes_aiokafka(self) -> dict[str, str]:
        """Lo mismo que `aiokafka()`, serializable: la autoridad como ruta (`ssl_cafile`) en vez de contexto."""
        opciones = {k: v for k, v in self.aiokafka().items() if k != "ssl_context"}
        if self.tls and self.ca is not None:
            opciones["ssl_cafile"] = str(self.ca)
        return opciones


def bootstrap_embebido() -> str:
    return f"{HOST_EMBEBIDO}:{puertos()['kafka']}"


def carpeta_principales() -> Path:
    return carpeta_datos() / "kafka" / "principales"


def ca_embebida() -> Path:
    return carpeta_datos() / "kafka" / "tls" / "ca.pem"


def leer_clave(ruta: Path) -> str:
    """La clave de un archivo de principal ({"usuario", "clave"}) o, si no es JSON, su texto."""
    texto = ruta.read_text().strip()
    try:
        return json.loads(texto)["clave"]
    except (ValueError, KeyError, TypeError):
        return texto


def conexion_embebida(principal: str) -> ConexionKafka:
    """La conexión de `principal` al Kafka embebido: su clave en <datos>/kafka/principales/<principal>.json."""
    ruta = carpeta_principales() / f"{principal}.json"
    try:
        clave = leer_clave(ruta)
    except OSError:
        raise SinCredenciales(f"no hay credenciales de {principal} en {ruta}: arranque el entorno embebido "
                              "(make infra) o dé ALVA_KAFKA_USUARIO y ALVA_KAFKA_CLAVE") from None
    return ConexionKafka(bootstrap_embebido(), "SASL_SSL", "SCRAM-SHA-512", principal, clave, ca_embebida())


def conexion_desde_entorno(principal_por_omision: str) -> ConexionKafka:
    """KAFKA_BOOTSTRAP_SERVERS y ALVA_KAFKA_* si se dan; sin ninguno, el principal en el Kafka embebido.

    Con sólo KAFKA_BOOTSTRAP_SERVERS (un Kafka propio sin seguridad) el protocolo es PLAINTEXT."""
    env = os.environ
    bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS") or env.get("ALVA_KAFKA_BOOTSTRAP_SERVERS")
    dados = {n.removeprefix("ALVA_KAFKA_"): env.get(n) for n in VARIABLES}
    if not any(dados.values()) and bootstrap in (None, "", bootstrap_embebido()):
        return conexion_embebida(principal_por_omision)
    bootstrap = bootstrap or bootstrap_embebido()
    seguro = dados["USUARIO"] or dados["CLAVE"] or dados["CLAVE_ARCHIVO"] or bootstrap == bootstrap_embebido()
    protocolo = (dados["PROTOCOLO"] or ("SASL_SSL" if seguro else "PLAINTEXT")).upper()
    if protocolo not in ("PLAINTEXT", *PROTOCOLOS_TLS, *PROTOCOLOS_SASL):
        raise ValueError(f"ALVA_KAFKA_PROTOCOLO={protocolo!r}: use PLAINTEXT, SSL, SASL_PLAINTEXT o SASL_SSL")
    ca = Path(dados["CA"]) if dados["CA"] else (ca_embebida() if bootstrap == bootstrap_embebido() else None)
    if protocolo not in PROTOCOLOS_SASL:
        return ConexionKafka(bootstrap, protocolo, None, None, None, ca if protocolo in PROTOCOLOS_TLS else None)
    usuario = dados["USUARIO"] or principal_por_omision
    return ConexionKafka(bootstrap, protocolo, (dados["MECANISMO"] or "SCRAM-SHA-512").upper(), usuario,
                         _clave(usuario, dados), ca if protocolo in PROTOCOLOS_TLS else None)


def _clave(usuario: str, dados: dict[str, str | None]) -> str:
    if dados["CLAVE"]:
        return dados["CLAVE"]
    ruta = Path(dados["CLAVE_ARCHIVO"]) if dados["CLAVE_ARCHIVO"] else carpeta_principales() / f"{usuario}.json"
    try:
        return leer_clave(ruta)
    except OSError:
        raise SinCredenciales(f"falta la clave de {usuario}: dé ALVA_KAFKA_CLAVE o ALVA_KAFKA_CLAVE_ARCHIVO "
                              f"(no está en {ruta})") from None
