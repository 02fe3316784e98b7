"""Arranque de un servicio desde la línea de comandos, con registros legibles."""

import asyncio
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
    ejecutar(servicio.app.run())


def afinar_gc() -> None:
    """Lo cargado al arrancar (módulos, clases, esquemas: unos 76 000 objetos en distintivos, que viven todo el
    proceso) sale de las pasadas del recolector (`gc.freeze`), que lo recorrían una y otra vez; y las pasadas se
    espacian (UMBRALES_GC)."""
    gc.freeze()
    gc.set_threshold(*UMBRALES_GC)


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
