"""Reglas del evaluador que no dependen del programa: periodo, ids deterministas, vigencia; biblioteca estándar."""

import calendar
import uuid
from datetime import date

from plataforma.nube import uuid5
from servicios.comun import Cuenta
from servicios.distintivos.reglas import Avance, SesionVista, admite

ESPACIO_DISTINTIVOS = uuid.UUID("0b8f5c7e-2f6a-4f0e-8d7c-41a1e0a5d9b2")


def periodo(inicio: date, fin: date) -> str:
    """El periodo de un convenio, como intervalo ISO 8601."""
    return f"{inicio.isoformat()}/{fin.isoformat()}"


def id_distintivo(programa: str, convenio_id: str, periodo_: str) -> str:
    """Determinista: reproducir los tópicos desde el inicio da los mismos distintivos."""
    return uuid5(ESPACIO_DISTINTIVOS, f"{programa}/{convenio_id}/{periodo_}")


def vigencia(otorgado: date, meses: int, fin_convenio: date) -> tuple[date, date]:
    """Desde el otorgamiento, los meses del programa, sin pasar del fin del convenio."""
    return otorgado, min(sumar_meses(otorgado, meses), fin_convenio)


def sumar_meses(dia: date, meses: int) -> date:
    total = dia.month - 1 + meses
    anio, mes = dia.year + total // 12, total % 12 + 1
    return date(anio, mes, min(dia.day, calendar.monthrange(anio, mes)[1]))


def cambio_de_sesion(filtros: dict[str, dict], vigencia: tuple[date, date], antes: "SesionVista | None",
                     despues: "SesionVista | None", avances: dict[str, "Avance"], personas: "Cuenta") -> None:
    """Lo que una sesión (nueva, corregida o cancelada: de `antes` a `despues`) cambia en el avance de cada filtro;
    trabajo proporcional a esa sesión, nunca a la historia del convenio."""
    for fid, filtro in filtros.items():
        a = avances.setdefault(fid, Avance())
        era = antes is not None and admite(filtro, antes, vigencia)
        es = despues is not None and admite(filtro, despues, vigencia)
        a.sesiones += int(es) - int(era)
        a.horas += (despues.horas if es else 0) - (antes.horas if era else 0)
        viejas = set(antes.asistentes) if era else set()
        nuevas = set(despues.asistentes) if es else set()
        a.personas -= sum(1 for p in viejas - nuevas if personas.sumar(p, fid, -1) == 0)
        a.personas += sum(1 for p in nuevas - viejas if personas.sumar(p, fid, 1) == 1)
