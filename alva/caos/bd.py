"""Lo que la prueba de fallas lee de las tablas de los servicios (sólo lectura): el único lugar que conoce su forma."""

import asyncpg

from plataforma.config import Ajustes

SERVICIOS = ("convenios", "capacitacion", "distintivos", "notificaciones")


async def _conectar() -> asyncpg.Connection:
    return await asyncpg.connect(Ajustes().postgres_dsn, timeout=5)


async def _existe(conn: asyncpg.Connection, tabla: str) -> bool:
    return await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", tabla)


async def por_salir() -> dict[str, int]:
    """Filas que esperan en algo que aún debe moverse: outbox y pendientes de cada servicio, entregas por hacer."""
    conn = await _conectar()
    try:
        cuentas = {}
        for s in SERVICIOS:
            for tabla in ("outbox", "pendientes"):
                if await _existe(conn, f"{s}.{tabla}"):
                    cuentas[f"{s}.{tabla}"] = await conn.fetchval(f"SELECT count(*) FROM {s}.{tabla}")
        if await _existe(conn, "notificaciones.entregas"):
            cuentas["notificaciones.entregas pendientes"] = await conn.fetchval(
                "SELECT count(*) FROM notificaciones.entregas WHERE estado = 'pendiente'")
        return cuentas
    finally:
        await conn.close()


async def personas_capacitadas(convenios: list[str]) -> dict[str, float]:
    """El valor del objetivo `personas_capacitadas` de cada convenio en la base de convenios."""
    conn = await _conectar()
    try:
        filas = await conn.fetch(
            """SELECT convenio_id, max(valor) AS valor FROM convenios.objetivos
               WHERE convenio_id = ANY($1) AND indicador = 'personas_capacitadas' GROUP BY convenio_id""", convenios)
        return {f["convenio_id"]: f["valor"] for f in filas}
    finally:
        await conn.close()


async def distintivos(convenios: list[str]) -> dict[str, int]:
    """Cuántos distintivos guarda el evaluador por convenio."""
    conn = await _conectar()
    try:
        filas = await conn.fetch("""SELECT convenio_id, count(*) AS n FROM distintivos.distintivos
                                    WHERE convenio_id = ANY($1) GROUP BY convenio_id""", convenios)
        return {f["convenio_id"]: f["n"] for f in filas}
    finally:
        await conn.close()
