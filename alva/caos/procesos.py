"""Los cuatro servicios como procesos propios de la prueba: arrancarlos, matarlos, revivirlos y saber si están listos."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICIOS = ("convenios", "capacitacion", "distintivos", "notificaciones")
RAIZ = Path(__file__).resolve().parents[2]


@dataclass
class Caida:
    """Un servicio que terminó sin que la prueba lo matara (no hay supervisor: la prueba lo revive)."""

    servicio: str
    momento_s: float
    codigo: int | None


@dataclass
class Servicios:
    bitacoras: Path
    puertos: dict[str, int]
    variables: dict[str, str]  # p. ej. ALVA_PENDIENTES_PLAZO_S corto
    procesos: dict[str, subprocess.Popen] = field(default_factory=dict)
    en_pausa: set[str] = field(default_factory=set)  # muertos a propósito, aún sin revivir
    caidas: list[Caida] = field(default_factory=list)
    origen: float = field(default_factory=time.monotonic)

    def arrancar(self, nombre: str) -> None:
        self.bitacoras.mkdir(parents=True, exist_ok=True)
        entorno = {**os.environ, **self.variables, "ALVA_PUERTO_OPERACION": str(self.puertos[nombre]),
                   "PYTHONUNBUFFERED": "1"}
        with open(self.bitacoras / f"{nombre}.log", "ab") as salida:
            self.procesos[nombre] = subprocess.Popen([sys.executable, "-m", f"servicios.{nombre}"], cwd=RAIZ,
                                                     env=entorno, stdin=subprocess.DEVNULL, stdout=salida,
                                                     stderr=subprocess.STDOUT, start_new_session=True)

    def arrancar_todos(self) -> None:
        for nombre in SERVICIOS:
            self.arrancar(nombre)

    def matar(self, nombre: str) -> None:
        """SIGKILL al proceso que esta prueba arrancó (sólo a él)."""
        self.en_pausa.add(nombre)
        proceso = self.procesos[nombre]
        if proceso.poll() is None:
            os.kill(proceso.pid, signal.SIGKILL)
        proceso.wait()

    def revivir(self, nombre: str) -> None:
        self.arrancar(nombre)
        self.en_pausa.discard(nombre)

    async def listo(self, nombre: str, cliente: httpx.AsyncClient) -> bool:
        try:
            respuesta = await cliente.get(f"http://127.0.0.1:{self.puertos[nombre]}/salud/listo", timeout=2)
            return respuesta.status_code == 200
        except httpx.HTTPError:
            return False

    async def esperar_listos(self, nombres=SERVICIOS, plazo_s: float = 90) -> float:
        """Segundos hasta que todos dicen estar listos; TimeoutError si no en el plazo."""
        inicio = time.monotonic()
        async with httpx.AsyncClient() as cliente:
            for nombre in nombres:
                while not await self.listo(nombre, cliente):
                    if time.monotonic() - inicio > plazo_s:
                        raise TimeoutError(f"{nombre} no estuvo listo en {plazo_s:g} s; vea {self.bitacoras}")
                    await asyncio.sleep(0.2)
        return time.monotonic() - inicio

    async def vigilar(self) -> None:
        """Revive al que muera solo y lo anota: sin esto, una caída sin supervisor parecería una pérdida."""
        while True:
            for nombre, proceso in list(self.procesos.items()):
                if nombre not in self.en_pausa and proceso.poll() is not None:
                    self.caidas.append(Caida(nombre, time.monotonic() - self.origen, proceso.returncode))
                    self.arrancar(nombre)
            await asyncio.sleep(0.5)

    def detener(self) -> None:
        for p in self.procesos.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procesos.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
