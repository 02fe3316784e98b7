"""El servicio de distintivos como app FastStream: `python -m servicios.distintivos`."""

from pathlib import Path

import orjson

from esquemas.distintivos import TOPICO
from plataforma.periodico import periodica, una_vez
from plataforma.servicio import Servicio
from servicios.distintivos import casos_de_uso
from servicios.distintivos.config import AjustesDistintivos
from servicios.distintivos.credencial import indice_de
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

    async def adoptar_indices(servicio: Servicio) -> None:
        """Tras repetir los tópicos: cada distintivo en la posición de la lista de estado que dice su credencial
        publicada (el orden de los otorgamientos pudo ser otro), y cada programa con sus revocados en esas
        posiciones. En una transacción, con la unicidad revisada al confirmar."""
        async with servicio.pool.acquire() as conn, conn.transaction():
            filas = await conn.fetch("SELECT distintivo_id, indice_estado, credencial FROM distintivos")
            cambios = [(f["distintivo_id"], i) for f in filas
                       if (i := indice_de(f["credencial"])) is not None and i != f["indice_estado"]]
            await conn.execute("SET CONSTRAINTS distintivos_indice_por_programa DEFERRED")
            await conn.execute(
                """UPDATE distintivos d SET indice_estado = u.i FROM unnest($1::text[], $2::int[]) AS u(id, i)
                   WHERE d.distintivo_id = u.id""", [c[0] for c in cambios], [c[1] for c in cambios])
            await conn.execute(
                """UPDATE programas p SET revocados = coalesce((
                       SELECT jsonb_agg(indice_estado ORDER BY indice_estado) FROM distintivos d
                       WHERE d.programa = p.programa AND d.estado = 'revocado'), '[]')""")

    servicio = Servicio("distintivos", PATRON, reacciones(motor), PostgresDistintivos, Path(__file__).parent / "sql",
                        ajustes, publica=PUBLICA, tareas=[VENCIMIENTOS], al_arrancar=[preparar_claves, reevaluar],
                        al_reconstruir=[preparar_claves, registrar_reglas], tras_reconstruir=[adoptar_indices],
                        propio=TOPICO, propias=PROPIAS)
    servicio.motor = motor
    return servicio
