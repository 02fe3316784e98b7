"""Ajustes del servicio de distintivos."""

from pathlib import Path

from pydantic import Field

from infra.entorno import carpeta_datos
from plataforma.config import Ajustes
from servicios.distintivos.reglas import CARPETA


class AjustesDistintivos(Ajustes):
    carpeta_reglas: Path = Field(default=CARPETA, description="Reglas de cada programa: <PROGRAMA>/v<N>.toml.")
    carpeta_claves: Path = Field(
        default_factory=lambda: carpeta_datos() / "claves",
        description="Claves privadas Ed25519 de los otorgantes, <otorgante>.pem (una nueva si falta); nunca en git.",
    )
