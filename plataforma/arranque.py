"""Arranque de un servicio desde la línea de comandos, con registros legibles."""

import asyncio
import ctypes
import gc
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from plataforma.servicio import Servicio

T = TypeVar("T")


# El recolector de ciclos cada 50 000 objetos nuevos (no cada 700) y una pasada completa cada 20 × 20 de ésas: un
# lote crea decenas de miles de objetos que el conteo de referencias ya libera, y cada pasada recorría de nuevo lo
# vivo. La basura cíclica que espera entre pasadas es de unos pocos MB (README, Throughput).
UMBRALES_GC = (50_000, 20, 20)


def correr(fabrica: Callable[[], Servicio]) -> None:
    logging.basicConfig(
        level=os.environ.get("ALVA_LOG", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    servicio = fabrica()
    afinar_gc()
    afinar_malloc()
    ejecutar(servicio.app.run())


def afinar_gc() -> None:
    """Lo cargado al arrancar (módulos, clases, esquemas: unos 76 000 objetos en distintivos, que viven todo el
    proceso) sale de las pasadas del recolector (`gc.freeze`), que lo recorrían una y otra vez; y las pasadas se
    espacian (UMBRALES_GC)."""
    gc.freeze()
    gc.set_threshold(*UMBRALES_GC)


# mallopt(3) de glibc
M_MMAP_THRESHOLD = -3
UMBRAL_MMAP = 128 * 1024


def afinar_malloc() -> bool:
    """Con glibc, cada bloque de 128 KB o más (los lotes de registros de aiokafka, los búferes de asyncpg, los
    textos de un lote entero) se pide aparte al sistema y se le devuelve al soltarlo. Por omisión glibc sube ese
    umbral cada vez que se suelta un bloque así (hasta 32 MB), y desde entonces los bloques grandes salen del
    montón, que los intercala con objetos pequeños que siguen vivos y ya no se puede devolver: la memoria de un
    servicio crecía con cada lote más grande que el anterior. Fijarlo apaga ese ajuste. Devuelve si se aplicó."""
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # sin glibc (musl, macOS, Windows): su malloc se queda como está
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, UMBRAL_MMAP) == 1


def ejecutar(corrutina: Coroutine[Any, Any, T]) -> T:
    """Con uvloop donde lo hay (Linux, macOS). Además de rápido, suelta a tiempo lo que un temporizador cancelado
    guardaba: el bucle de asyncio deja cada temporizador cancelado en su cola hasta que vence (el de cada petición
    de aiokafka, 40 s; el de inactividad de asyncpg, 300 s) o hasta una purga, y con él el contexto en que se
    programó; el de FastStream guarda el mensaje con el lote entero. Con asyncio, un servicio con atraso guardaba
    así decenas de lotes ya procesados (distintivos llegaba a 165 MB; con uvloop, 90 MB)."""
    try:
        import uvloop
    except ImportError:  # Windows: uvloop no existe ahí
        return asyncio.run(corrutina)
    return uvloop.run(corrutina)
