"""Ajustes del servicio de distintivos."""

from pathlib import Path

from pydantic import Field

from plataforma.config import Ajustes
from plataforma.embebido import carpeta_datos
from servicios.distintivos.reglas import CARPETA


class AjustesDistintivos(Ajustes):
    carpeta_reglas: Path = Field(default=CARPETA, description="Reglas de cada programa: <PROGRAMA>/v<N>.toml.")
    carpeta_claves: Path = Field(
        default_factory=lambda: carpeta_datos() / "claves",
        description="Claves privadas Ed25519 de los otorgantes: <otorgante>.pem o <otorgante>/*.pem (la más nueva "
                    "firma); nunca en git.",
    )
    crear_claves: bool = Field(default=True, description="Crear al arrancar la clave de un otorgante que no tenga "
                                                         "(ALVA_CREAR_CLAVES); apagado, falta una y no arranca.")
