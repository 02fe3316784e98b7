"""El servicio de notificaciones como app FastStream: `python -m servicios.notificaciones`."""

from pathlib import Path

from plataforma.servicio import Servicio
from servicios.notificaciones.config import AjustesNotificaciones
from servicios.notificaciones.envio import entregar_pendientes
from servicios.notificaciones.suscriptores import PATRON, reacciones


def crear_servicio(ajustes: AjustesNotificaciones | None = None) -> Servicio:
    ajustes = ajustes or AjustesNotificaciones()
    return Servicio("notificaciones", PATRON, reacciones(ajustes), Path(__file__).parent / "sql", ajustes,
                    tareas=[entregar_pendientes])
