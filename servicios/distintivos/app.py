"""El servicio de distintivos como app FastStream: `python -m servicios.distintivos`."""

from pathlib import Path

import orjson

from esquemas.distintivos import TOPICO
from plataforma.periodico import periodica, una_vez
from plataforma.servicio import Servicio
from servicios.distintivos import casos_de_uso
from servicios.distintivos.config import AjustesDistintivos
from servicios.distintivos.emision import Motor
from servicios.distintivos.reglas import cargar
from servicios.distintivos.repositorio import PostgresDistintivos
from servicios.distintivos.suscriptores import PATRON, PROPIAS, PUBLICA, reacciones

VENCIMIENTOS = periodica("vencimientos", lambda a: a.periodo_s, casos_de_uso.vencer_distintivos)


def crear_servicio(ajustes: AjustesDistintivos | None = None) -> Servicio:
    ajustes = ajustes or AjustesDistintivos()
    motor = Motor(cargar(ajustes.carpeta_reglas), ajustes.url_publica)

    async def preparar_claves(servicio: Servicio) -> None:
        """Las claves se cargan (o crean) al arrancar y sus públicas quedan en la base, para publicarse (JWKS)."""
        motor.cargar_claves(ajustes.carpeta_claves, crear=ajustes.crear_claves)
        async with servicio.pool.acquire() as conn:
            await conn.executemany(
                """INSERT INTO claves_publicas (otorgante, kid, jwk, orden) VALUES ($1, $2, $3::jsonb, $4)
                   ON CONFLICT (otorgante, kid) DO UPDATE SET orden = EXCLUDED.orden""",
                [(o, c.kid, orjson.dumps(c.jwk()).decode(), n) for o, claves in motor.claves.items()
                 for n, c in enumerate(claves)])

    async def reevaluar(servicio: Servicio) -> None:
        await una_vez(servicio, "reglas", lambda ctx, _: casos_de_uso.reevaluar_todo(ctx, motor))

    async def registrar_reglas(servicio: Servicio) -> None:
        """Al reconstruir, antes de repetir: las versiones de reglas registradas, como al arrancar."""
        await una_vez(servicio, "reglas", lambda ctx, _: casos_de_uso.registrar_reglas(ctx, motor))

    servicio = Servicio("distintivos", PATRON, reacciones(motor), PostgresDistintivos, Path(__file__).parent / "sql",
                        ajustes, publica=PUBLICA, tareas=[VENCIMIENTOS], al_arrancar=[preparar_claves, reevaluar],
                        al_reconstruir=[preparar_claves, registrar_reglas], propio=TOPICO, propias=PROPIAS)
    servicio.motor = motor
    return servicio
