"""El servicio de capacitación como app FastStream: `python -m servicios.capacitacion`."""

from pathlib import Path

from plataforma.servicio import Servicio
from servicios.capacitacion.config import AjustesCapacitacion
from servicios.capacitacion.repositorio import PostgresCapacitacion
from servicios.capacitacion.suscriptores import PATRON, PUBLICA, REACCIONES


def crear_servicio(ajustes: AjustesCapacitacion | None = None) -> Servicio:
    return Servicio("capacitacion", PATRON, REACCIONES, PostgresCapacitacion, Path(__file__).parent / "sql",
                    ajustes or AjustesCapacitacion(), publica=PUBLICA)
