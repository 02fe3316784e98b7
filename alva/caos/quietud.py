"""Quietud: cada grupo al día en todo lo que lee, cada outbox vacío, y nada que cambie durante unos segundos."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from alva.caos import bd
from alva.caos.kafka import Monitor


@dataclass
class Quietud:
    quieto: bool
    segundos: float
    atascos: list[str] = field(default_factory=list)  # qué grupo/partición u outbox no se movió a tiempo


def atascos_de(retrasos: dict, filas: dict[str, int]) -> list[str]:
    atascos = [f"alva-{servicio} {tp.topic}[{tp.partition}]: {n} sin leer"
               for servicio, por_tp in sorted(retrasos.items()) for tp, n in sorted(por_tp.items()) if n > 0]
    return atascos + [f"{tabla}: {n} fila(s)" for tabla, n in sorted(filas.items()) if n > 0]


async def esperar_quietud(monitor: Monitor, plazo_s: float, quieto_s: float = 5.0,
                          otra_huella: Callable[[], object] = lambda: None, avisar=print) -> Quietud:
    """Sondea cada segundo; quieto cuando no hay atascos y la huella (finales, retrasos, filas) no cambia en `quieto_s`."""
    inicio = time.monotonic()
    limite, estable_desde, anterior, atascos, avisado = inicio + plazo_s, None, None, ["sin datos aún"], 0.0
    while True:
        try:
            retrasos = await monitor.retrasos()
            filas = await bd.por_salir()
            finales = await monitor.finales(await monitor.particiones(await monitor.topicos_alva()))
        except Exception as e:  # noqa: BLE001 - Kafka o PostgreSQL aún no responden: se vuelve a intentar
            atascos, huella = [f"sin respuesta: {type(e).__name__}: {e}"], None
        else:
            atascos = atascos_de(retrasos, filas)
            huella = (sorted(finales.items()), sorted((s, sorted(r.items())) for s, r in retrasos.items()),
                      sorted(filas.items()), otra_huella())
        ahora = time.monotonic()
        if atascos or huella is None:
            estable_desde = None
        elif huella != anterior or estable_desde is None:
            estable_desde = ahora
        elif ahora - estable_desde >= quieto_s:
            return Quietud(True, round(ahora - inicio, 1))
        anterior = huella
        if ahora > limite:
            return Quietud(False, round(ahora - inicio, 1), atascos or ["sigue cambiando: no se asentó en el plazo"])
        if ahora - avisado > 15:
            avisado = ahora
            resumen = f"{len(atascos)} pendiente(s), p. ej. {atascos[0]}" if atascos else "asentándose"
            avisar(f"  … esperando quietud ({ahora - inicio:.0f} s): {resumen}")
        await asyncio.sleep(1.0)
