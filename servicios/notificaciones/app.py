"""El servicio de notificaciones como app FastStream: `python -m servicios.notificaciones`."""

from pathlib import Path

from plataforma.periodico import periodica
from plataforma.servicio import Servicio
from servicios.notificaciones.casos_de_uso import avisar_por_vencer, resumir_rechazos
from servicios.notificaciones.config import AjustesNotificaciones
from servicios.notificaciones.envio import entregar_pendientes
from servicios.notificaciones.repositorio import PostgresNotificaciones
from servicios.notificaciones.suscriptores import PATRON, PUBLICA, reacciones

POR_VENCER = periodica("por_vencer", lambda a: a.periodo_s, avisar_por_vencer, reconstruye=False)
RESUMENES = periodica("resumen_rechazos", lambda a: a.periodo_s, resumir_rechazos, reconstruye=False)


def crear_servicio(ajustes: AjustesNotificaciones | None = None) -> Servicio:
    ajustes = ajustes or AjustesNotificaciones()
    return Servicio("notificaciones", PATRON, reacciones(ajustes), PostgresNotificaciones,
                    Path(__file__).parent / "sql", ajustes, publica=PUBLICA,
                    tareas=[entregar_pendientes, POR_VENCER, RESUMENES],
                    operativas=("entregas", "rechazos_por_resumir"))
