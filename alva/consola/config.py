"""Ajustes de la consola (ALVA_*): dónde escucha, sus cuentas, su secreto de sesión y a quién pregunta la salud."""

import secrets
from pathlib import Path

from pydantic import Field, SecretStr

from alva.consola.usuarios import Cuentas, UsuarioInvalido
from plataforma.config import Ajustes
from plataforma.embebido import carpeta_datos, escribir_secreto
from plataforma.operacion import PUERTOS
from servicios.distintivos.reglas import CARPETA as CARPETA_REGLAS


def carpeta_consola() -> Path:
    return carpeta_datos() / "consola"


def salud_local(datos: dict) -> dict[str, str]:
    """Cada servicio en este equipo, en su puerto propio (18081–18084, o el de ALVA_PUERTOS_OPERACION)."""
    puertos = {**PUERTOS, **{s: p for s, p in datos.get("puertos_operacion", {}).items() if s in PUERTOS}}
    return {s: f"http://127.0.0.1:{p}/salud/listo" for s, p in puertos.items()}


class AjustesConsola(Ajustes):
    host_consola: str = Field(default="127.0.0.1", description="Dónde escucha la consola (ALVA_HOST_CONSOLA).")
    puerto_consola: int = Field(default=18080, description="Su puerto (ALVA_PUERTO_CONSOLA); 0, uno libre.")
    usuarios_consola: str | None = Field(
        default=None, description="Cuentas propias en JSON (ALVA_USUARIOS_CONSOLA): {usuario: {rol, hash, institucion}}; "
                                  "si se da, manda sobre el archivo de usuarios.")
    archivo_usuarios: Path = Field(default_factory=lambda: carpeta_consola() / "usuarios.json",
                                   description="Las cuentas que maneja `alva consola usuario` (ALVA_ARCHIVO_USUARIOS).")
    secreto_consola: SecretStr | None = Field(
        default=None, description="Con qué se firman las cookies de sesión (ALVA_SECRETO_CONSOLA); sin valor, uno "
                                  "aleatorio guardado (0600) en <datos>/consola/secreto.")
    cookie_segura: bool = Field(default=False, description="Cookie de sesión sólo por HTTPS (ALVA_COOKIE_SEGURA): "
                                                           "enciéndalo detrás de un proxy con TLS.")
    sesion_horas: float = Field(default=8.0, description="Cuánto dura una sesión sin volver a entrar.")
    salud_servicios: dict[str, str] = Field(
        default_factory=salud_local, description="La URL de disponibilidad de cada servicio (ALVA_SALUD_SERVICIOS, "
                                                 "JSON); por omisión, en este equipo y en sus puertos propios.")
    otorgante: str = Field(default="prodheg", description="Desde qué ingreso actúa quien opera (ALVA_OTORGANTE).")
    carpeta_reglas: Path = Field(default=CARPETA_REGLAS, description="Reglas de cada programa: el nombre y el sitio "
                                                                     "de cada otorgante (ALVA_CARPETA_REGLAS).")

    def cuentas(self) -> Cuentas:
        return Cuentas(self.archivo_usuarios, self.usuarios_consola)

    def sin_cuentas(self) -> bool:
        """Recién instalada, sin ninguna cuenta (unas que no sirven no son ninguna: la consola dice por qué)."""
        try:
            return not self.cuentas().todas()
        except UsuarioInvalido:
            return False

    def secreto(self) -> str:
        if self.secreto_consola is not None:
            return self.secreto_consola.get_secret_value()
        ruta = carpeta_consola() / "secreto"
        if not ruta.exists():
            escribir_secreto(ruta, secrets.token_urlsafe(48))
        return ruta.read_text().strip()
