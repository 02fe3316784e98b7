"""Reglas de convenios y objetivos; sólo biblioteca estándar."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Sesion:
    sesion_id: str
    tema: str
    modalidad: str
    fecha: date
    horas: float
    asistentes: tuple[str, ...]


@dataclass(frozen=True)
class Objetivo:
    objetivo_id: str
    indicador: str
    meta: float
    tema: str | None = None
    modalidad: str | None = None
    valor: float = 0
    cumplido: bool = False

    def admite(self, sesion: Sesion) -> bool:
        """Los filtros opcionales del objetivo (tema, modalidad)."""
        return (self.tema is None or _normal(self.tema) == _normal(sesion.tema)) and (
            self.modalidad is None or self.modalidad == sesion.modalidad
        )

    def alcanza(self, valor: float) -> bool:
        return valor >= self.meta


# Unidad: (qué se cuenta, cuánto vale). El valor de un objetivo es la suma, sobre unidades distintas,
# de su cantidad: así "personas capacitadas" cuenta a cada persona una vez aunque asista a varias sesiones.
Unidad = tuple[str, float]

UNIDADES_POR_SESION: dict[str, Callable[[Sesion], list[Unidad]]] = {
    "personas_capacitadas": lambda s: [(f"persona:{a}", 1) for a in s.asistentes],
    "sesiones_impartidas": lambda s: [(f"sesion:{s.sesion_id}", 1)],
    "horas_capacitacion": lambda s: [(f"sesion:{s.sesion_id}", s.horas)],
    "constancias_emitidas": lambda s: [(f"constancia:{s.sesion_id}:{a}", 1) for a in s.asistentes],
}


def unidades_de_sesion(objetivo: Objetivo, sesion: Sesion) -> list[Unidad]:
    """Lo que una sesión aporta a un objetivo; nada si el indicador no se mide con sesiones."""
    contar = UNIDADES_POR_SESION.get(objetivo.indicador)
    if contar is None or not objetivo.admite(sesion):
        return []
    return contar(sesion)


def _normal(texto: str) -> str:
    return " ".join(texto.casefold().split())
