"""Reglas de convenios y objetivos: qué aporta cada hecho a cada indicador; sólo biblioteca estándar."""

import hashlib
import json
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

    @property
    def origen(self) -> str:
        return f"sesion:{self.sesion_id}"


@dataclass(frozen=True)
class Actividad:
    actividad_id: str
    indicador: str
    cantidad: float
    fecha: date
    tema: str | None = None
    modalidad: str | None = None

    @property
    def origen(self) -> str:
        return f"actividad:{self.actividad_id}"


@dataclass(frozen=True)
class EvidenciaAprobada:
    evidencia_id: str
    objetivo_id: str
    fecha: date

    @property
    def origen(self) -> str:
        return f"evidencia:{self.evidencia_id}"


Hecho = Sesion | Actividad | EvidenciaAprobada
# Unidad: (qué se cuenta, cuánto vale). El valor de un objetivo es la suma, sobre unidades distintas,
# de su cantidad: así "personas capacitadas" cuenta a cada persona una vez aunque asista a varias sesiones.
Unidad = tuple[str, float]


@dataclass(frozen=True)
class Medida:
    """Cómo se mide un indicador: de qué clase de hecho sale y qué unidades aporta cada uno."""

    clase: type
    unidades: Callable[[Hecho], list[Unidad]]


def _actividad(a: Actividad) -> list[Unidad]:
    return [(a.origen, a.cantidad)]


def _evidencia(e: EvidenciaAprobada) -> list[Unidad]:
    return [(e.origen, 1)]


# Un indicador nuevo es una línea aquí (y su nombre en esquemas.comun.Indicador).
INDICADORES: dict[str, Medida] = {
    "personas_capacitadas": Medida(Sesion, lambda s: [(f"persona:{a}", 1) for a in s.asistentes]),
    "sesiones_impartidas": Medida(Sesion, lambda s: [(s.origen, 1)]),
    "horas_capacitacion": Medida(Sesion, lambda s: [(s.origen, s.horas)]),
    "constancias_emitidas": Medida(Sesion, lambda s: [(f"constancia:{s.sesion_id}:{a}", 1) for a in s.asistentes]),
    "asesorias_brindadas": Medida(Actividad, _actividad),
    "campanas_realizadas": Medida(Actividad, _actividad),
    "material_distribuido": Medida(Actividad, _actividad),
    "protocolo_actualizado": Medida(EvidenciaAprobada, _evidencia),
    "mecanismo_cooperacion": Medida(EvidenciaAprobada, _evidencia),
    "difusion_servicios": Medida(EvidenciaAprobada, _evidencia),
}


@dataclass(frozen=True)
class Objetivo:
    objetivo_id: str
    indicador: str
    meta: float
    tema: str | None = None
    modalidad: str | None = None
    valor: float = 0
    cumplido: bool = False
    descripcion: str = ""

    @property
    def por_evidencia(self) -> bool:
        return INDICADORES[self.indicador].clase is EvidenciaAprobada

    def admite(self, hecho: Hecho) -> bool:
        """Si el hecho es de la clase que el indicador mide y pasa los filtros del objetivo."""
        if not isinstance(hecho, INDICADORES[self.indicador].clase):
            return False
        if isinstance(hecho, Actividad) and hecho.indicador != self.indicador:
            return False
        if isinstance(hecho, EvidenciaAprobada):
            return hecho.objetivo_id == self.objetivo_id
        return (self.tema is None or _normal(self.tema) == _normal(hecho.tema or "")) and (
            self.modalidad is None or self.modalidad == hecho.modalidad
        )

    def alcanza(self, valor: float) -> bool:
        return valor >= self.meta

    def mismo_compromiso(self, otro: "Objetivo") -> bool:
        """Igual lo que se mide y cuánto; el avance acumulado no cuenta."""
        campos = ("indicador", "meta", "tema", "modalidad")
        return all(getattr(self, c) == getattr(otro, c) for c in campos)


def aporte(objetivo: Objetivo, hecho: Hecho) -> list[Unidad]:
    """Lo que un hecho aporta a un objetivo; nada si el objetivo no lo mide."""
    return INDICADORES[objetivo.indicador].unidades(hecho) if objetivo.admite(hecho) else []


def problema_de_modificacion(actuales: list[Objetivo], nuevos: list[Objetivo]) -> tuple[str, str] | None:
    """Un objetivo ya cumplido no se quita ni se cambia."""
    por_id = {o.objetivo_id: o for o in nuevos}
    for o in actuales:
        if o.cumplido and (o.objetivo_id not in por_id or not o.mismo_compromiso(por_id[o.objetivo_id])):
            return "objetivo_ya_cumplido", f"El objetivo '{o.objetivo_id}' ya se cumplió; no puede quitarse ni cambiarse."
    return None


def huella(contenido: dict) -> str:
    return hashlib.sha256(json.dumps(contenido, sort_keys=True, default=str).encode()).hexdigest()


def _normal(texto: str) -> str:
    return " ".join(texto.casefold().split())
