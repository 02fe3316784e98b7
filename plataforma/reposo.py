"""Quieto cuando no hay trabajo, sin perder latencia ni lotes cuando lo hay.

Con trabajo, el consumidor pide al broker que junte hasta `fetch.min.bytes` o espere `fetch.max.wait` (50 ms): así
se llenan los lotes. Sin trabajo, esa misma espera corta es una petición cada 50 ms que vuelve vacía, unas veinte por
segundo y por servicio. En reposo se pide en cambio un solo byte con una espera larga: el broker contesta en cuanto
llega algo (no se pierde latencia; la primera entrada llega antes, sin esperar a juntar un lote) y, si no llega
nada, una vez por espera. Con el primer lote que vuelve a haber, la espera corta otra vez.

aiokafka no expone cómo cambiar esos dos ajustes con el consumidor en marcha; su `Fetcher` los lee en cada petición de
sus atributos. Si una versión de aiokafka no los tuviera, el reposo no hace nada (y lo dice una vez).
"""

import asyncio
import logging
import time

log = logging.getLogger(__name__)


class Reposo:
    """Cambia la espera del consumidor entre la de trabajo y la de reposo.

    `trabajo()` en cada lote; `vigilar()` de fondo pasa a reposo tras `tras_s` sin lotes."""

    def __init__(self, *, bytes_min: int, espera_ms: int, espera_reposo_ms: int, tras_s: float) -> None:
        self.bytes_min, self.espera_ms = bytes_min, espera_ms
        self.espera_reposo_ms, self.tras_s = espera_reposo_ms, tras_s
        self.activo = espera_reposo_ms > espera_ms  # una espera de reposo no mayor que la de trabajo lo apaga
        self.en_reposo = False
        self._ultimo = time.monotonic()
        self._avisado = False

    def trabajo(self, consumidor) -> None:
        """Llegó un lote: la espera que junta lotes."""
        self._ultimo = time.monotonic()
        if self.en_reposo and self._ajustar(consumidor, self.bytes_min, self.espera_ms):
            self.en_reposo = False

    def revisar(self, consumidor, ahora: float | None = None) -> None:
        """Si pasaron `tras_s` sin lotes, la espera de reposo."""
        ahora = time.monotonic() if ahora is None else ahora
        if not self.activo or self.en_reposo or ahora - self._ultimo < self.tras_s:
            return
        if self._ajustar(consumidor, 1, self.espera_reposo_ms):
            self.en_reposo = True

    async def vigilar(self, consumidor_de) -> None:
        """Tarea de fondo: `consumidor_de()` da el consumidor de aiokafka (o None mientras no arranca)."""
        while self.activo:
            await asyncio.sleep(self.tras_s / 2)
            if (consumidor := consumidor_de()) is not None:
                self.revisar(consumidor)

    def _ajustar(self, consumidor, bytes_min: int, espera_ms: int) -> bool:
        pedidor = getattr(consumidor, "_fetcher", None)  # aiokafka no lo expone
        if pedidor is None or not hasattr(pedidor, "_fetch_min_bytes") or not hasattr(pedidor, "_fetch_max_wait_ms"):
            if pedidor is not None and not self._avisado:
                self._avisado = True
                log.warning("esta versión de aiokafka no deja cambiar la espera del consumidor: sin modo de reposo")
            return False
        pedidor._fetch_min_bytes, pedidor._fetch_max_wait_ms = bytes_min, espera_ms  # noqa: SLF001
        return True
