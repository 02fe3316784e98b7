"""El bucle con que corre un servicio suelta lo que guardaba un temporizador cancelado."""

import asyncio
import ctypes
import gc
import subprocess
import sys
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


_BLOQUES_GRANDES = """
import ctypes, sys
from plataforma.arranque import afinar_malloc

class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
libc.mallinfo2.restype = Mallinfo2
if sys.argv[1] == "afinado":
    assert afinar_malloc()
libc.free(libc.malloc(4 << 20))  # un bloque grande que se suelta: glibc sube su umbral hasta 4 MB
antes = libc.mallinfo2().hblks  # bloques pedidos aparte al sistema (y que se le devuelven al soltarlos)
bloque = libc.malloc(512 << 10)
print(libc.mallinfo2().hblks - antes)
libc.free(bloque)
"""


@pytest.mark.skipif(not hasattr(ctypes.CDLL(None), "mallinfo2"), reason="sin glibc 2.33 o más")
def test_con_malloc_afinado_un_bloque_grande_se_devuelve_al_sistema_aunque_antes_se_soltara_otro_mayor():
    def bloques_aparte(modo: str) -> int:
        r = subprocess.run([sys.executable, "-c", _BLOQUES_GRANDES, modo], capture_output=True, text=True,
                           check=True)
        return int(r.stdout)

    assert bloques_aparte("por_omision") == 0  # el de glibc: el bloque de 512 KB sale del montón
    assert bloques_aparte("afinado") == 1
