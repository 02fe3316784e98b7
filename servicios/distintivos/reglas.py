"""Reglas de un programa como datos (TOML, versionadas) y su evaluación; sólo biblioteca estándar."""

import hashlib
import json
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

CARPETA = Path(__file__).parent / "programas"


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

    @property
    def lista_estado_url(self) -> str:
        """Dónde se publica la lista de estado (revocaciones) de las credenciales del programa."""
        return f"{self.otorgante_url}/distintivos/{self.programa.lower()}/estado"


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


@dataclass(frozen=True)
class Situacion:
    """Lo que el evaluador ha visto de un convenio."""

    vigencia: tuple[date, date]
    objetivos: list[ObjetivoVisto]
    sesiones: list[SesionVista] = field(default_factory=list)


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
        for o in s.objetivos:
            hojas.append(Requisito(f"Objetivo: {o.descripcion}", o.cumplido_en is not None,
                                   f"{o.valor or 0:g} de {o.meta:g}"))
        return bool(s.objetivos) and all(o.cumplido_en for o in s.objetivos)
    clase = next(k for k in MEDIDAS if k in nodo)
    valor = MEDIDAS[clase](nodo[clase], s)
    cumplido = valor >= nodo["minimo"]
    formato = f"{valor:.0%} de {nodo['minimo']:.0%}" if clase == "proporcion" else f"{valor:g} de {nodo['minimo']:g}"
    hojas.append(Requisito(nodo.get("nombre", clase), cumplido, formato))
    return cumplido


def _admitidas(filtros: dict, s: Situacion) -> list[SesionVista]:
    return [x for x in s.sesiones if _admite(filtros, x, s)]


def _admite(filtros: dict, sesion: SesionVista, s: Situacion) -> bool:
    if "modalidad" in filtros and sesion.modalidad != filtros["modalidad"]:
        return False
    if "temas" in filtros and not any(_normal(t) in _normal(sesion.tema) for t in filtros["temas"]):
        return False
    ventana = filtros.get("ventana")
    if ventana == "vigencia":
        return s.vigencia[0] <= sesion.fecha <= s.vigencia[1]
    if isinstance(ventana, dict):
        return ventana.get("desde", date.min) <= sesion.fecha <= ventana.get("hasta", date.max)
    return True


def _proporcion(filtros: dict, s: Situacion) -> float:
    return len(_admitidas(filtros, s)) / len(s.sesiones) if s.sesiones else 0.0


# Un requisito nuevo que se cuenta de sesiones es una entrada aquí; todo lo demás son datos.
MEDIDAS: dict[str, Callable[[dict, Situacion], float]] = {
    "sesiones": lambda f, s: len(_admitidas(f, s)),
    "horas": lambda f, s: sum(x.horas for x in _admitidas(f, s)),
    "personas": lambda f, s: len({a for x in _admitidas(f, s) for a in x.asistentes}),
    "proporcion": _proporcion,
}


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
    elif any(k in nodo for k in MEDIDAS):
        if "minimo" not in nodo:
            raise ValueError(f"{donde}: falta 'minimo'")
    else:
        raise ValueError(f"{donde}: requisito desconocido {sorted(nodo)}; se esperaba todos, alguno, objetivos "
                         f"o {', '.join(MEDIDAS)}")


def _normal(texto: str) -> str:
    sin_acentos = unicodedata.normalize("NFKD", texto).encode("ascii", "ignore").decode()
    return " ".join(sin_acentos.casefold().split())
