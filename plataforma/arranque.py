"""Arranque de un servicio desde la línea de comandos, con registros legibles."""

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from plataforma.servicio import Servicio

T = TypeVar("T")


def correr(fabrica: Callable[[], Servicio]) -> None:
    logging.basicConfig(
        level=os.environ.get("ALVA_LOG", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    servicio = fabrica()
    ejecutar(servicio.app.run())


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
