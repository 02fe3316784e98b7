"""Los rechazos de alva.rechazos de los últimos días, leídos como `alva rechazos` y guardados unos segundos."""

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from alva.cli.observar import leer_eventos
from esquemas import CloudEvent
from esquemas.rechazos import TOPICO

FRESCURA_S = 5.0


class Rechazos:
    def __init__(self, opciones: dict) -> None:
        self.opciones = opciones
        self._leidos: dict[int, tuple[float, list[CloudEvent]]] = {}
        self._candado = asyncio.Lock()

    async def de(self, dias: int, institucion: str | None = None, codigo: str | None = None) -> list[CloudEvent]:
        """Del más reciente al más viejo; sólo los de `institucion` si se pide."""
        async with self._candado:
            cuando, eventos = self._leidos.get(dias, (0.0, []))
            if time.monotonic() - cuando > FRESCURA_S:
                inicio = datetime.now(UTC) - timedelta(days=dias)
                eventos = sorted((e for *_, e in await leer_eventos(self.opciones, [TOPICO], inicio)),
                                 key=lambda e: e.time, reverse=True)
                self._leidos[dias] = (time.monotonic(), eventos)
        return [e for e in eventos if (institucion is None or e.institucion == institucion)
                and (codigo is None or e.data.get("codigo") == codigo)]


def por_institucion_y_codigo(eventos: list[CloudEvent]) -> list[tuple[str, str, int]]:
    cuenta = Counter((e.institucion or "", e.data.get("codigo") or "") for e in eventos)
    return [(i, c, n) for (i, c), n in sorted(cuenta.items(), key=lambda x: (-x[1], x[0]))]
