"""El servicio de distintivos como app FastStream: `python -m servicios.distintivos`."""

from pathlib import Path

from plataforma.periodico import periodica, una_vez
from plataforma.servicio import Servicio
from servicios.distintivos import casos_de_uso
from servicios.distintivos.config import AjustesDistintivos
from servicios.distintivos.emision import Motor
from servicios.distintivos.reglas import cargar
from servicios.distintivos.suscriptores import PATRON, reacciones

VENCIMIENTOS = periodica("vencimientos", lambda a: a.periodo_s, casos_de_uso.vencer_distintivos)


def crear_servicio(ajustes: AjustesDistintivos | None = None) -> Servicio:
    ajustes = ajustes or AjustesDistintivos()
    motor = Motor(cargar(ajustes.carpeta_reglas), ajustes.carpeta_claves)

    async def al_arrancar(servicio: Servicio) -> None:
        await una_vez(servicio, "reglas", lambda ctx, _: casos_de_uso.reevaluar_todo(ctx, motor))

    servicio = Servicio("distintivos", PATRON, reacciones(motor), Path(__file__).parent / "sql", ajustes,
                        tareas=[VENCIMIENTOS], al_arrancar=[al_arrancar])
    return servicio
