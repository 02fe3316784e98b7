"""Reglas del evaluador que no dependen del programa: periodo, ids deterministas, vigencia; biblioteca estándar."""

import calendar
import uuid
from datetime import date

ESPACIO_DISTINTIVOS = uuid.UUID("0b8f5c7e-2f6a-4f0e-8d7c-41a1e0a5d9b2")


def periodo(inicio: date, fin: date) -> str:
    """El periodo de un convenio, como intervalo ISO 8601."""
    return f"{inicio.isoformat()}/{fin.isoformat()}"


def id_distintivo(programa: str, convenio_id: str, periodo_: str) -> str:
    """Determinista: reproducir los tópicos desde el inicio da los mismos distintivos."""
    return str(uuid.uuid5(ESPACIO_DISTINTIVOS, f"{programa}/{convenio_id}/{periodo_}"))


def vigencia(otorgado: date, meses: int, fin_convenio: date) -> tuple[date, date]:
    """Desde el otorgamiento, los meses del programa, sin pasar del fin del convenio."""
    return otorgado, min(sumar_meses(otorgado, meses), fin_convenio)


def sumar_meses(dia: date, meses: int) -> date:
    total = dia.month - 1 + meses
    anio, mes = dia.year + total // 12, total % 12 + 1
    return date(anio, mes, min(dia.day, calendar.monthrange(anio, mes)[1]))
