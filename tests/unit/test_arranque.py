"""El bucle con que corre un servicio suelta lo que guardaba un temporizador cancelado."""

import asyncio
import gc
import weakref
from contextvars import ContextVar

import pytest

from plataforma.arranque import ejecutar

pytestmark = pytest.mark.unit
mensaje: ContextVar[object] = ContextVar("mensaje")


class Lote:
    """Lo que FastStream guarda en su contexto mientras se procesa un lote: el mensaje, con todos sus registros."""


async def _procesar_un_lote() -> weakref.ref:
    """Como un lote: el mensaje queda en el contexto, y algo (una petición de aiokafka, una conexión de asyncpg que
    se suelta) programa un temporizador que se cancela al terminar."""
    lote = Lote()
    mensaje.set(lote)
    asyncio.get_running_loop().call_later(40, lambda: None).cancel()
    return weakref.ref(lote)


async def _queda_vivo() -> bool:
    # Un servicio siempre tiene temporizadores vivos que vencen antes (el latido del grupo, la espera del fetch):
    # el cancelado no queda a la cabeza de la cola, de donde asyncio sí lo quitaría.
    latido = asyncio.get_running_loop().call_later(30, lambda: None)
    ref = await asyncio.create_task(_procesar_un_lote())  # la tarea, con su copia del contexto, ya terminó
    for _ in range(3):  # unas vueltas del bucle, como las de un servicio que sigue con el siguiente lote
        await asyncio.sleep(0)
    gc.collect()
    latido.cancel()
    return ref() is not None


def test_un_lote_procesado_no_queda_vivo_en_un_temporizador_cancelado():
    assert ejecutar(_queda_vivo()) is False


def test_al_arrancar_lo_cargado_sale_de_las_pasadas_del_recolector_y_estas_se_espacian():
    from plataforma.arranque import UMBRALES_GC, afinar_gc

    antes = gc.get_threshold()
    try:
        afinar_gc()
        assert gc.get_freeze_count() > 1000  # lo importado hasta aquí ya no se recorre en cada pasada
        assert gc.get_threshold() == UMBRALES_GC
    finally:
        gc.unfreeze()
        gc.set_threshold(*antes)
