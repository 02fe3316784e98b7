"""Reglas de un programa como datos (TOML, versionadas) y su evaluación sobre cuentas que se llevan al día (nunca
recorriendo la historia); sólo biblioteca estándar."""

import hashlib
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from servicios.comun import normal

CARPETA = Path(__file__).parent / "programas"
CARPETA_EJEMPLOS = Path(__file__).parent / "ejemplos"


@dataclass(frozen=True)
class Reglas:
    programa: str
    version: int
    nombre: str
    otorgante: str
    requisito: dict
    otorgante_nombre: str = ""
    otorgante_url: str = ""
    vigencia_meses: int = 12
    revocar_si_objetivo_revertido: bool = False
    huella: str = ""

    def filtros(self) -> dict[str, dict]:
        """Los filtros de sesiones que piden sus requisitos (id → filtro); las cuentas se llevan por filtro."""
        salida: dict[str, dict] = {}
        _recoger(self.requisito, salida)
        return salida


@dataclass(frozen=True)
class ObjetivoVisto:
    objetivo_id: str
    descripcion: str
    indicador: str
    meta: float
    valor: float | None
    cumplido_en: date | None


@dataclass(frozen=True)
class SesionVista:
    tema: str
    modalidad: str
    fecha: date
    horas: float
    asistentes: tuple[str, ...] = ()


@dataclass
class Avance:
    """Lo que llevan las sesiones que pasan un filtro: cuántas, cuántas horas y cuántas personas distintas."""

    sesiones: int = 0
    horas: float = 0.0
    personas: int = 0


@dataclass(frozen=True)
class Situacion:
    """Lo que el evaluador ha visto de un convenio: su vigencia, sus objetivos y el avance por filtro."""

    vigencia: tuple[date, date]
    objetivos: list[ObjetivoVisto]
    avances: dict[str, Avance] = field(default_factory=dict)

    def avance(self, filtro: dict) -> Avance:
        return self.avances.get(filtro_id(filtro), Avance())


@dataclass(frozen=True)
class Requisito:
    """Una hoja del árbol, evaluada: qué pide, si se cumple y cuánto va."""

    nombre: str
    cumplido: bool
    detalle: str


def leer(archivo: Path) -> Reglas:
    crudo = tomllib.loads(archivo.read_text(encoding="utf-8"))
    _validar_nodo(crudo.get("requisito"), f"{archivo.name}: requisito")
    campos = {k: crudo[k] for k in ("programa", "version", "nombre", "otorgante", "requisito")}
    opcionales = ("otorgante_nombre", "otorgante_url", "vigencia_meses", "revocar_si_objetivo_revertido")
    extra = {k: crudo[k] for k in opcionales if k in crudo}
    return Reglas(**campos, **extra, huella=hashlib.sha256(json.dumps(crudo, sort_keys=True, default=str).encode()).hexdigest())


def cargar(carpeta: Path = CARPETA) -> dict[str, list[Reglas]]:
    """Programa → sus versiones, de la más vieja a la más nueva."""
    programas: dict[str, list[Reglas]] = {}
    for archivo in sorted(carpeta.glob("*/v*.toml")):
        reglas = leer(archivo)
        programas.setdefault(reglas.programa, []).append(reglas)
    return {p: sorted(vs, key=lambda r: r.version) for p, vs in programas.items()}


def evaluar(reglas: Reglas, situacion: Situacion) -> tuple[bool, list[Requisito]]:
    """Si la situación cumple las reglas, y cada requisito hoja con su avance (para `distintivo.evaluado`)."""
    hojas: list[Requisito] = []
    return _evaluar(reglas.requisito, situacion, hojas), hojas


def _evaluar(nodo: dict, s: Situacion, hojas: list[Requisito]) -> bool:
    if "todos" in nodo:
        return all([_evaluar(n, s, hojas) for n in nodo["todos"]])
    if "alguno" in nodo:
        return sum(_evaluar(n, s, hojas) for n in nodo["alguno"]) >= nodo.get("minimo", 1)
    if "objetivos" in nodo:
        en_vigencia = nodo.get("ventana") == "vigencia"
        cumplidos = [_cumplido(o, s.vigencia if en_vigencia else None) for o in s.objetivos]
        for o, cumplido in zip(s.objetivos, cumplidos, strict=True):
            hojas.append(Requisito(f"Objetivo: {o.descripcion}", cumplido, f"{o.valor or 0:g} de {o.meta:g}"))
        return bool(s.objetivos) and all(cumplidos)
    clase = next(k for k in MEDIDAS if k in nodo)
    valor = MEDIDAS[clase](nodo[clase], s)
    cumplido = valor >= nodo["minimo"]
    formato = f"{valor:.0%} de {nodo['minimo']:.0%}" if clase == "proporcion" else f"{valor:g} de {nodo['minimo']:g}"
    hojas.append(Requisito(nodo.get("nombre", clase), cumplido, formato))
    return cumplido


def _cumplido(o: ObjetivoVisto, vigencia: tuple[date, date] | None) -> bool:
    if o.cumplido_en is None:
        return False
    return vigencia is None or vigencia[0] <= o.cumplido_en <= vigencia[1]


def _proporcion(filtros: dict, s: Situacion) -> float:
    total = s.avance({}).sesiones
    return s.avance(filtros).sesiones / total if total else 0.0


# Un requisito nuevo que se cuenta de sesiones es una entrada aquí; todo lo demás son datos.
MEDIDAS: dict[str, Callable[[dict, Situacion], float]] = {
    "sesiones": lambda f, s: s.avance(f).sesiones,
    "horas": lambda f, s: s.avance(f).horas,
    "personas": lambda f, s: s.avance(f).personas,
    "proporcion": _proporcion,
}


def filtro_id(filtro: dict) -> str:
    return hashlib.sha256(json.dumps(filtro, sort_keys=True, default=str).encode()).hexdigest()[:16]


def admite(filtro: dict, sesion: SesionVista, vigencia: tuple[date, date]) -> bool:
    """Si la sesión pasa el filtro: modalidad, temas (alguna palabra, sin acentos ni mayúsculas) y ventana."""
    if "modalidad" in filtro and sesion.modalidad != filtro["modalidad"]:
        return False
    if "temas" in filtro and not any(normal(t) in normal(sesion.tema) for t in filtro["temas"]):
        return False
    ventana = filtro.get("ventana")
    if ventana == "vigencia":
        return vigencia[0] <= sesion.fecha <= vigencia[1]
    if isinstance(ventana, dict):
        return ventana.get("desde", date.min) <= sesion.fecha <= ventana.get("hasta", date.max)
    return True


def _recoger(nodo: dict, salida: dict[str, dict]) -> None:
    hijos = nodo.get("todos", nodo.get("alguno", []))
    for hijo in hijos if isinstance(hijos, list) else []:
        _recoger(hijo, salida)
    if clase := next((k for k in MEDIDAS if k in nodo), None):
        salida[filtro_id(nodo[clase])] = nodo[clase]
        if clase == "proporcion":
            salida[filtro_id({})] = {}


def _validar_nodo(nodo, donde: str) -> None:
    if not isinstance(nodo, dict):
        raise ValueError(f"{donde}: se esperaba una tabla")
    if "todos" in nodo or "alguno" in nodo:
        hijos = nodo.get("todos", nodo.get("alguno"))
        for i, hijo in enumerate(hijos):
            _validar_nodo(hijo, f"{donde}.{'todos' if 'todos' in nodo else 'alguno'}[{i}]")
    elif "objetivos" in nodo:
        if nodo["objetivos"] != "todos":
            raise ValueError(f"{donde}: 'objetivos' sólo admite \"todos\"")
        if nodo.get("ventana", "vigencia") != "vigencia":
            raise ValueError(f"{donde}: la ventana de los objetivos sólo puede ser \"vigencia\"")
    elif any(k in nodo for k in MEDIDAS):
        if "minimo" not in nodo:
            raise ValueError(f"{donde}: falta 'minimo'")
    else:
        raise ValueError(f"{donde}: requisito desconocido {sorted(nodo)}; se esperaba todos, alguno, objetivos "
                         f"o {', '.join(MEDIDAS)}")
