"""Ajustes del servicio de convenios."""

from pydantic import Field

from plataforma.config import Ajustes


class AjustesConvenios(Ajustes):
    otorgantes: dict[str, str] = Field(
        default={"ALVA": "prodheg"},
        description="Programa → institución otorgante; sólo ella registra convenios del programa (ALVA_OTORGANTES).",
    )
