"""Transiciones por el paso del tiempo: una función que corre cada tanto, en transacción, sin que nadie envíe un evento."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from plataforma import outbox
from plataforma.consumo import Contexto

log = logging.getLogger(__name__)


Funcion = Callable[[Contexto, object], Awaitable[None]]  # (contexto, ajustes del servicio)


def periodica(nombre: str, cada_s: Callable[[object], float], funcion: Funcion):
    """Una tarea de fondo del servicio; entre varias instancias, la corre una a la vez (candado consultivo)."""

    async def tarea(servicio) -> None:
        while True:
            try:
                await una_vez(servicio, nombre, funcion)
            except Exception:  # noqa: BLE001 - la tarea no muere; vuelve a intentarlo en el siguiente turno
                log.exception("%s: falló la tarea periódica %s", servicio.nombre, nombre)
            await asyncio.sleep(cada_s(servicio.ajustes))

    tarea.__name__ = nombre
    return tarea


async def una_vez(servicio, nombre: str, funcion: Funcion) -> int:
    async with servicio.pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))", f"{servicio.nombre}:{nombre}"):
            return 0
        ctx = Contexto(conn, servicio.nombre, None, procesador=servicio.procesador)
        await funcion(ctx, servicio.ajustes)
        await outbox.encolar(conn, servicio.nombre, ctx.salidas)
    if ctx.salidas and servicio.relay:
        servicio.relay.despertar()
    return len(ctx.salidas)


async def rechazar_pendientes_vencidos(ctx: Contexto, ajustes) -> None:
    """Lo que esperó más de `pendientes_plazo_s` a algo que nunca llegó se rechaza, con su motivo."""
    ctx.salidas += await ctx.procesador.rechazar_vencidos(ctx.conn, ajustes.pendientes_plazo_s)


PENDIENTES = periodica("pendientes", lambda a: a.periodo_s, rechazar_pendientes_vencidos)
