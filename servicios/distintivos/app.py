"""El servicio de distintivos como app FastStream: `python -m servicios.distintivos`."""

from pathlib import Path

from plataforma.servicio import Servicio
from servicios.distintivos.config import AjustesDistintivos
from servicios.distintivos.suscriptores import PATRON, reacciones


def crear_servicio(ajustes: AjustesDistintivos | None = None) -> Servicio:
    ajustes = ajustes or AjustesDistintivos()
    return Servicio("distintivos", PATRON, reacciones(ajustes), Path(__file__).parent / "sql", ajustes)
