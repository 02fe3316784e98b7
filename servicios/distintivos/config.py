"""Ajustes del servicio de distintivos."""

from pydantic import Field

from plataforma.config import Ajustes
from servicios.distintivos.dominio import ReglasPrograma


class AjustesDistintivos(Ajustes):
    programas: dict[str, ReglasPrograma] = Field(
        default={"ALVA": ReglasPrograma(vigencia_meses=12)},
        description="Reglas por programa (ALVA_PROGRAMAS, JSON).",
    )
