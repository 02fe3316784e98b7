"""El servicio de convenios como app FastStream: `python -m servicios.convenios`."""

from pathlib import Path

from plataforma.periodico import periodica
from plataforma.servicio import Servicio
from servicios.convenios.casos_de_uso import vencer_convenios
from servicios.convenios.config import AjustesConvenios
from servicios.convenios.repositorio import PostgresConvenios
from servicios.convenios.suscriptores import PATRON, PUBLICA, reacciones

VENCIMIENTOS = periodica("vencimientos", lambda a: a.periodo_s, vencer_convenios)


def crear_servicio(ajustes: AjustesConvenios | None = None) -> Servicio:
    ajustes = ajustes or AjustesConvenios()
    return Servicio("convenios", PATRON, reacciones(ajustes), PostgresConvenios, Path(__file__).parent / "sql",
                    ajustes, publica=PUBLICA, guardian_ingreso=True, tareas=[VENCIMIENTOS])
