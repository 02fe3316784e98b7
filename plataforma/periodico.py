"""Transiciones por el paso del tiempo: una función que corre cada tanto, en transacción, sin que nadie envíe un evento."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from plataforma import outbox
from plataforma.contexto import Contexto

log = logging.getLogger(__name__)


Funcion = Callable[[Contexto, object], Awaitable[None]]  # (contexto con el repositorio, ajustes del servicio)


def periodica(nombre: str, cada_s: Callable[[object], float], funcion: Funcion, *, reconstruye: bool = True):
    """Una tarea de fondo del servicio; entre varias instancias, la corre una a la vez (candado consultivo).

    `reconstruye`: si cambia el estado del servicio (un vencimiento), también corre al reconstruirlo; un aviso o
    un resumen (un efecto afuera) no."""

    async def tarea(servicio) -> None:
        while True:
            try:
                await una_vez(servicio, nombre, funcion)
            except Exception:  # noqa: BLE001 - la tarea no muere; vuelve a intentarlo en el siguiente turno
                log.exception("%s: falló la tarea periódica %s", servicio.nombre, nombre)
            await asyncio.sleep(cada_s(servicio.ajustes))

    tarea.__name__ = nombre
    tarea.funcion, tarea.reconstruye = funcion, reconstruye
    return tarea


async def una_vez(servicio, nombre: str, funcion: Funcion, ahora: datetime | None = None) -> int:
    """Corre la tarea una vez con la hora dada (o la del reloj); lo que emite sale por el outbox."""
    async with servicio.pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))", f"{servicio.nombre}:{nombre}"):
            return 0
        repo = servicio.procesador.repositorio(conn)
        ctx = Contexto(repo, servicio.nombre, None, ahora or datetime.now(UTC), tarea=nombre)
        await funcion(ctx, servicio.ajustes)
        await repo.confirmar()
        encolados = await outbox.encolar(conn, servicio.nombre, ctx.salidas)
    for metrica, etiquetas in ctx.cuentas:
        servicio.metricas.contar(metrica, **etiquetas)
    if encolados and servicio.relay:
        servicio.relay.confirmados(encolados)
    return len(ctx.salidas)


async def rechazar_pendientes_vencidos(servicio) -> int:
    """Lo que esperó más de `pendientes_plazo_s` a algo que nunca llegó se rechaza, con su motivo."""
    async with servicio.pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))", f"{servicio.nombre}:pendientes"):
            return 0
        salidas = await servicio.procesador.rechazar_vencidos(conn, servicio.ajustes.pendientes_plazo_s)
    if salidas and servicio.relay:
        servicio.relay.despertar()
    return len(salidas)


async def PENDIENTES(servicio) -> None:  # noqa: N802 - una tarea, como las demás de `periodica`
    while True:
        try:
            await rechazar_pendientes_vencidos(servicio)
        except Exception:  # noqa: BLE001
            log.exception("%s: falló la tarea de pendientes vencidos", servicio.nombre)
        await asyncio.sleep(servicio.ajustes.periodo_s)
