"""Reglas de convenios y objetivos: qué aporta cada hecho a cada indicador y cuánto cambia un objetivo con cada
hecho nuevo, corregido o retirado, sin recorrer la historia; sólo biblioteca estándar."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from servicios.comun import Cuenta, normal


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
CLASES: dict[str, type] = {"sesion": Sesion, "actividad": Actividad, "evidencia": EvidenciaAprobada}
# Unidad: (qué se cuenta, cuánto vale). El valor de un objetivo es la suma, sobre unidades distintas, de su
# cantidad: así "personas capacitadas" cuenta a cada persona una vez aunque asista a varias sesiones.
Unidad = tuple[str, float]


@dataclass(frozen=True)
class Medida:
    """Cómo se mide un indicador: de qué clase de hecho sale y qué unidades aporta cada uno.

    `compartida`: la misma unidad puede venir de varios hechos (una persona en varias sesiones); entonces se lleva
    la cuenta de cuántos la aportan, y sólo cuenta al pasar de 0 a 1 (o deja de contar al volver a 0).
    """

    clase: type
    unidades: Callable[[Hecho], list[Unidad]]
    compartida: bool = False


def _actividad(a: Actividad) -> list[Unidad]:
    return [(a.origen, a.cantidad)]


def _evidencia(e: EvidenciaAprobada) -> list[Unidad]:
    return [(e.origen, 1)]


# Un indicador nuevo es una línea aquí (y su nombre en esquemas.comun.Indicador).
INDICADORES: dict[str, Medida] = {
    "personas_capacitadas": Medida(Sesion, lambda s: [(f"persona:{a}", 1) for a in s.asistentes], compartida=True),
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
    convenio_id: str
    objetivo_id: str
    indicador: str
    meta: float
    tema: str | None = None
    modalidad: str | None = None
    valor: float = 0
    cumplido: bool = False
    cumplido_en: date | None = None
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
        return (self.tema is None or normal(self.tema) == normal(hecho.tema or "")) and (
            self.modalidad is None or self.modalidad == hecho.modalidad
        )

    def alcanza(self, valor: float) -> bool:
        return valor >= self.meta

    def mismo_compromiso(self, otro: "Objetivo") -> bool:
        """Igual lo que se mide y cuánto; el avance acumulado no cuenta."""
        campos = ("indicador", "meta", "tema", "modalidad")
        return all(getattr(self, c) == getattr(otro, c) for c in campos)


def aporte(objetivo: Objetivo, hecho: Hecho | None) -> list[Unidad]:
    """Lo que un hecho aporta a un objetivo; nada si el objetivo no lo mide."""
    if hecho is None or not objetivo.admite(hecho):
        return []
    return INDICADORES[objetivo.indicador].unidades(hecho)


def unidades_compartidas(hecho: Hecho | None) -> set[str]:
    """Las unidades que este hecho podría compartir con otros (para cargar sus cuentas)."""
    if hecho is None:
        return set()
    return {u for m in INDICADORES.values() if m.compartida and isinstance(hecho, m.clase) for u, _ in m.unidades(hecho)}


def cambio(objetivo: Objetivo, antes: Hecho | None, despues: Hecho | None, cuenta: Cuenta) -> float:
    """Cuánto cambia el valor del objetivo cuando lo que aporta un origen pasa de `antes` a `despues`
    (None: nada). Actualiza la cuenta de las unidades compartidas. Trabajo proporcional a ese hecho, no a la historia."""
    viejas, nuevas = dict(aporte(objetivo, antes)), dict(aporte(objetivo, despues))
    if not INDICADORES[objetivo.indicador].compartida:
        return sum(nuevas.values()) - sum(viejas.values())
    delta = 0.0
    for unidad in viejas.keys() - nuevas.keys():
        if cuenta.sumar(unidad, objetivo.objetivo_id, -1) == 0:
            delta -= viejas[unidad]
    for unidad in nuevas.keys() - viejas.keys():
        if cuenta.sumar(unidad, objetivo.objetivo_id, 1) == 1:
            delta += nuevas[unidad]
    return delta


def con_valor(objetivo: Objetivo, valor: float, hoy: date) -> Objetivo:
    alcanza = objetivo.alcanza(valor)
    return replace(objetivo, valor=valor, cumplido=alcanza,
                   cumplido_en=objetivo.cumplido_en or (hoy if alcanza else None))


def problema_de_modificacion(actuales: list[Objetivo], nuevos: list[Objetivo]) -> tuple[str, str] | None:
    """Un objetivo ya cumplido no se quita ni se cambia."""
    por_id = {o.objetivo_id: o for o in nuevos}
    for o in actuales:
        if o.cumplido and (o.objetivo_id not in por_id or not o.mismo_compromiso(por_id[o.objetivo_id])):
            return "objetivo_ya_cumplido", f"El objetivo '{o.objetivo_id}' ya se cumplió; no puede quitarse ni cambiarse."
    return None


def hecho_desde(clase: str, contenido: dict) -> Hecho:
    datos = {**contenido, "fecha": date.fromisoformat(contenido["fecha"])}
    if "asistentes" in datos:
        datos["asistentes"] = tuple(datos["asistentes"])
    return CLASES[clase](**datos)


def clase_de(hecho: Hecho) -> str:
    return next(nombre for nombre, c in CLASES.items() if isinstance(hecho, c))
