"""Esperas con plazo que no se tragan una cancelación.

En Python 3.10 y 3.11, `asyncio.wait_for` pierde la cancelación de quien espera si lo esperado termina en la misma
vuelta del bucle (python/cpython#86296): una tarea de fondo que espera así en un ciclo puede no detenerse nunca, y quien
la cancela espera para siempre. `asyncio.timeout` y `asyncio.wait` no la pierden.
"""

import asyncio


async def esperar_evento(evento: asyncio.Event, segundos: float) -> bool:
    """Espera a que `evento` se active, a lo más `segundos`; dice si se activó."""
    try:
        async with asyncio.timeout(segundos):
            await evento.wait()
    except TimeoutError:
        return False
    return True


async def esperar_tarea(tarea: asyncio.Future, segundos: float) -> bool:
    """Espera a que `tarea` termine, sin cancelarla ni recoger su resultado, a lo más `segundos`; dice si terminó."""
    hechas, _ = await asyncio.wait({tarea}, timeout=segundos)
    return bool(hechas)


async def detener_cliente(cliente, segundos: float = 5.0) -> bool:
    """`await cliente.stop()` de aiokafka, a lo más `segundos`; dice si terminó a tiempo.

    Su `stop` espera a que cada conexión quede cerrada del todo, y una conexión TLS espera para eso al broker; una
    que estaba a medio abrir (p. ej. al detener un proceso recién arrancado) puede no cerrarse sino hasta el plazo
    de cierre de TLS del bucle, 30 s: quien se detiene esperaría con ella. Pasado el plazo, el proceso sigue
    deteniéndose; el sistema cierra el socket al salir."""
    try:
        async with asyncio.timeout(segundos):
            await cliente.stop()
    except TimeoutError:
        return False
    return True
