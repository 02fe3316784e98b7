"""El servicio de notificaciones como app FastStream: `python -m servicios.notificaciones`."""

from pathlib import Path

from plataforma.periodico import periodica
from plataforma.servicio import Servicio
from servicios.notificaciones.casos_de_uso import avisar_por_vencer
from servicios.notificaciones.config import AjustesNotificaciones
from servicios.notificaciones.envio import entregar_pendientes
from servicios.notificaciones.suscriptores import PATRON, reacciones

POR_VENCER = periodica("por_vencer", lambda a: a.periodo_s, avisar_por_vencer)


def crear_servicio(ajustes: AjustesNotificaciones | None = None) -> Servicio:
    ajustes = ajustes or AjustesNotificaciones()
    return Servicio("notificaciones", PATRON, reacciones(ajustes), Path(__file__).parent / "sql", ajustes,
                    tareas=[entregar_pendientes, POR_VENCER])
