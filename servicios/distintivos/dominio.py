"""Reglas del evaluador de distintivos; sólo biblioteca estándar."""

import calendar
import uuid
from dataclasses import dataclass
from datetime import date

ESPACIO_DISTINTIVOS = uuid.UUID("0b8f5c7e-2f6a-4f0e-8d7c-41a1e0a5d9b2")


@dataclass(frozen=True)
class ReglasPrograma:
    """Reglas de un programa, como datos; ALVA: todos los objetivos del convenio y 12 meses de vigencia."""

    vigencia_meses: int = 12


@dataclass(frozen=True)
class ObjetivoVisto:
    objetivo_id: str
    descripcion: str
    indicador: str
    meta: float
    valor: float | None
    cumplido_en: date | None


@dataclass(frozen=True)
class Evaluacion:
    cumplidos: tuple[str, ...]
    faltantes: tuple[str, ...]

    @property
    def elegible(self) -> bool:
        return not self.faltantes and bool(self.cumplidos)


def evaluar(objetivos: list[ObjetivoVisto]) -> Evaluacion:
    return Evaluacion(
        tuple(o.objetivo_id for o in objetivos if o.cumplido_en),
        tuple(o.objetivo_id for o in objetivos if not o.cumplido_en),
    )


def periodo(inicio: date, fin: date) -> str:
    """El periodo de un convenio, como intervalo ISO 8601."""
    return f"{inicio.isoformat()}/{fin.isoformat()}"


def id_distintivo(programa: str, convenio_id: str, periodo_: str) -> str:
    """Determinista: reproducir los tópicos desde el inicio da los mismos distintivos."""
    return str(uuid.uuid5(ESPACIO_DISTINTIVOS, f"{programa}/{convenio_id}/{periodo_}"))


def vigencia(otorgado: date, reglas: ReglasPrograma, fin_convenio: date) -> tuple[date, date]:
    """Desde el otorgamiento, los meses del programa, sin pasar del fin del convenio."""
    return otorgado, min(sumar_meses(otorgado, reglas.vigencia_meses), fin_convenio)


def sumar_meses(dia: date, meses: int) -> date:
    total = dia.month - 1 + meses
    anio, mes = dia.year + total // 12, total % 12 + 1
    return date(anio, mes, min(dia.day, calendar.monthrange(anio, mes)[1]))


def criterio(o: ObjetivoVisto) -> str:
    return f"{o.descripcion}: {o.valor:g} de {o.meta:g} ({o.indicador.replace('_', ' ')})"
