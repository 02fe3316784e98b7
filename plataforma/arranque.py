"""Arranque de un servicio desde la línea de comandos, con registros legibles."""

import asyncio
import logging
import os
from collections.abc import Callable

from plataforma.servicio import Servicio


def correr(fabrica: Callable[[], Servicio]) -> None:
    logging.basicConfig(
        level=os.environ.get("ALVA_LOG", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    servicio = fabrica()
    asyncio.run(servicio.app.run())
