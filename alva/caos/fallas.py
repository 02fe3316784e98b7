"""Las fallas: cuándo (con semilla), cómo (SIGKILL a un servicio o al broker, `pg_ctl stop -m immediate`) y cuánto
tarda la plataforma en recuperarse de cada una."""

import asyncio
import logging
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass

import httpx

from alva.caos.kafka import Monitor
from alva.caos.procesos import SERVICIOS, Servicios
from infra import comun, postgres
from infra import entorno as infra

log = logging.getLogger(__name__)

PAUSAS_S = {"servicio": (0.5, 3.0), "kafka": (2.0, 6.0), "postgres": (1.0, 4.0)}  # hasta revivir, al azar
PLAZO_RECUPERACION_S = 180.0


@dataclass
class Falla:
    tipo: str  # servicio, kafka o postgres
    objetivo: str
    momento_s: float  # desde el inicio de la carga
    pausa_s: float  # cuánto tarda la prueba en revivirlo (no hay supervisor)
    ocurrio_s: float | None = None
    listo_s: float | None = None  # de la falla a que todos los afectados responden listos
    progreso_s: float | None = None  # de la falla a que sus grupos vuelven a avanzar (o no tienen retraso)
    nota: str = ""
    provocada: bool = True  # False: no se pudo provocar o revertir (la corrida no prueba lo que dice)


def programa(semilla: int, duracion_s: float, muertes: int, broker: bool, postgres: bool) -> list[Falla]:
    """Las fallas en momentos al azar de la carga, una por tramo para que no se amontonen; mismo plan con la misma semilla."""
    azar = random.Random(semilla)
    objetivos = [("servicio", SERVICIOS[k % len(SERVICIOS)]) for k in range(muertes)]
    objetivos += [("kafka", "broker")] * broker + [("postgres", "postgres")] * postgres
    azar.shuffle(objetivos)
    inicio, fin = 0.05 * duracion_s, 0.9 * duracion_s
    tramo = (fin - inicio) / max(1, len(objetivos))
    return [Falla(tipo, objetivo, round(inicio + k * tramo + azar.uniform(0, 0.8 * tramo), 2),
                  round(azar.uniform(*PAUSAS_S[tipo]), 2))
            for k, (tipo, objetivo) in enumerate(objetivos)]


def matar_kafka() -> None:
    componente = comun.componentes()["kafka"]
    pid = comun.pid_vivo(componente)
    if pid is None:
        raise RuntimeError("el broker embebido no está corriendo (¿KAFKA_BOOTSTRAP_SERVERS apunta a otro?)")
    os.kill(pid, signal.SIGKILL)
    limite = time.monotonic() + 30
    while comun.pid_vivo(componente) is not None and time.monotonic() < limite:
        time.sleep(0.1)


def parar_postgres_de_golpe() -> None:
    """`pg_ctl stop -m immediate` con los binarios de infra y, como root, con el usuario postgres."""
    componente = comun.componentes()["postgres"]
    como, _ = postgres.como_postgres()
    orden = [*como, str(postgres.binarios() / "pg_ctl"), "-D", str(componente.pid.parent), "-m", "immediate",
             "-w", "-t", "60", "stop"]
    subprocess.run(orden, capture_output=True, text=True, check=True, cwd=componente.log.parent)


def revivir_infra(componente: str) -> None:
    infra.arrancar((componente,), salida=lambda texto: log.info("%s", texto))


class Fallas:
    def __init__(self, servicios: Servicios, monitor: Monitor, origen: float) -> None:
        self.servicios, self.monitor, self.origen = servicios, monitor, origen
        self.ocurridas: list[Falla] = []
        self.kafka_caido = asyncio.Event()  # mientras está puesto, el catálogo hostil no se envía
        self._medidas: list[asyncio.Task] = []

    async def correr(self, plan: list[Falla]) -> None:
        for falla in plan:
            espera = falla.momento_s - (time.monotonic() - self.origen)
            if espera > 0:
                await asyncio.sleep(espera)
            await self.provocar(falla)

    async def provocar(self, falla: Falla) -> None:
        afectados = [falla.objetivo] if falla.tipo == "servicio" else list(SERVICIOS)
        antes = await self._comprometidos(afectados)
        t0 = time.monotonic()
        falla.ocurrio_s = round(t0 - self.origen, 2)
        self.ocurridas.append(falla)
        try:
            if falla.tipo == "servicio":
                self.servicios.matar(falla.objetivo)
                self._medidas.append(asyncio.create_task(self._medir(falla, t0, afectados, antes)))
                await asyncio.sleep(falla.pausa_s)
                self.servicios.revivir(falla.objetivo)
                return
            if falla.tipo == "kafka":
                self.kafka_caido.set()
                await asyncio.to_thread(matar_kafka)
            else:
                await asyncio.to_thread(parar_postgres_de_golpe)
            self._medidas.append(asyncio.create_task(self._medir(falla, t0, afectados, antes)))
            await asyncio.sleep(falla.pausa_s)
            await asyncio.to_thread(revivir_infra, falla.tipo)
        except Exception as e:  # noqa: BLE001 - una falla que no se pudo provocar se anota, la prueba sigue
            falla.nota = f"no se pudo provocar o revertir: {type(e).__name__}: {e}"
            falla.provocada = False
            log.exception("falla %s %s", falla.tipo, falla.objetivo)
        finally:
            self.kafka_caido.clear()

    async def _comprometidos(self, servicios: list[str]) -> dict[str, int]:
        cuentas = {}
        for s in servicios:
            try:
                cuentas[s] = await self.monitor.comprometidos(s)
            except Exception:  # noqa: BLE001 - sin dato previo, el progreso se juzga sólo por el retraso
                cuentas[s] = None
        return cuentas

    async def _medir(self, falla: Falla, t0: float, afectados: list[str], antes: dict[str, int | None]) -> None:
        limite = t0 + PLAZO_RECUPERACION_S
        pendientes_listo, pendientes_progreso = set(afectados), set(afectados)
        async with httpx.AsyncClient() as cliente:
            while (pendientes_listo or pendientes_progreso) and time.monotonic() < limite:
                await asyncio.sleep(0.5)
                for s in list(pendientes_listo):
                    if s not in self.servicios.en_pausa and await self.servicios.listo(s, cliente):
                        pendientes_listo.discard(s)
                if not pendientes_listo and falla.listo_s is None:
                    falla.listo_s = round(time.monotonic() - t0, 2)
                try:
                    retrasos = await self.monitor.retrasos()
                    for s in list(pendientes_progreso):
                        ahora = await self.monitor.comprometidos(s)
                        if sum(retrasos[s].values()) == 0 or (antes[s] is not None and ahora > antes[s]):
                            pendientes_progreso.discard(s)
                except Exception:  # noqa: BLE001 - Kafka aún no responde
                    continue
                if not pendientes_progreso and not pendientes_listo and falla.progreso_s is None:
                    falla.progreso_s = round(time.monotonic() - t0, 2)
        if falla.listo_s is None or falla.progreso_s is None:
            falla.nota = falla.nota or f"no se recuperó en {PLAZO_RECUPERACION_S:g} s"

    async def terminar(self) -> None:
        await asyncio.gather(*self._medidas, return_exceptions=True)
