"""Los servicios como procesos: arrancar instancias con sus ajustes por entorno, esperar que estén listas, medir
su memoria y su CPU en /proc, leer sus métricas y detenerlas."""

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

SERVICIOS = ("convenios", "capacitacion", "distintivos", "notificaciones")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Instancia:
    servicio: str
    numero: int
    proceso: subprocess.Popen
    bitacora: Path
    puerto: int | None = None

    @property
    def nombre(self) -> str:
        return self.servicio if self.numero == 1 else f"{self.servicio}#{self.numero}"

    @property
    def pid(self) -> int:
        return self.proceso.pid


@dataclass(frozen=True)
class Uso:
    rss_mb: float
    cpu_s: float


def arrancar(servicio: str, numero: int, bitacoras: Path, **entorno: str) -> Instancia:
    """`python -m servicios.<servicio>` con los ajustes del entorno, más los dados (variables `ALVA_*`); su puerto
    de operación es uno libre (así nunca choca con otros servicios en la máquina) y se lee de sus sockets."""
    bitacoras.mkdir(parents=True, exist_ok=True)
    bitacora = bitacoras / f"{servicio}-{numero}.log"
    variables = {**os.environ, "ALVA_PUERTO_OPERACION": "0", **entorno}
    with open(bitacora, "ab") as salida:
        proceso = subprocess.Popen([sys.executable, "-m", f"servicios.{servicio}"], stdout=salida,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=variables,
                                   start_new_session=True)
    return Instancia(servicio, numero, proceso, bitacora)


async def esperar_lista(instancia: Instancia, plazo_s: float = 90) -> None:
    """Hasta que su puerto de operación dice `/salud/listo`; el puerto se lee de los sockets del proceso."""
    limite = time.monotonic() + plazo_s
    async with httpx.AsyncClient() as cliente:
        while True:
            if instancia.proceso.poll() is not None:
                raise RuntimeError(f"{instancia.nombre} terminó al arrancar (código {instancia.proceso.returncode});"
                                   f" vea {instancia.bitacora}")
            if instancia.puerto is None and (puertos := escuchando(instancia.pid)):
                instancia.puerto = min(puertos)
            if instancia.puerto is not None:
                try:
                    respuesta = await cliente.get(f"http://127.0.0.1:{instancia.puerto}/salud/listo", timeout=2)
                    if respuesta.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            if time.monotonic() > limite:
                raise TimeoutError(f"{instancia.nombre} no estuvo listo en {plazo_s:g} s; vea {instancia.bitacora}")
            await asyncio.sleep(0.1)


def escuchando(pid: int) -> set[int]:
    """Los puertos TCP en que escucha el proceso (sus sockets en /proc/<pid>/fd cruzados con /proc/net/tcp*)."""
    try:
        inodos = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")
                  if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")}
    except OSError:
        return set()
    puertos = set()
    for tabla in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            filas = Path(tabla).read_text().splitlines()[1:]
        except OSError:
            continue
        for fila in filas:
            campos = fila.split()
            if campos[3] == "0A" and campos[9] in inodos:  # 0A: LISTEN
                puertos.add(int(campos[1].rsplit(":", 1)[1], 16))
    return puertos


def uso(pid: int) -> Uso | None:
    """Memoria residente (VmRSS) y segundos de CPU (utime + stime) del proceso, ahora."""
    try:
        estado = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rss_kb = int(re.search(r"^VmRSS:\s+(\d+)", estado, re.M).group(1))
    campos = stat.rsplit(")", 1)[1].split()  # tras el nombre del proceso, que puede tener espacios
    return Uso(rss_kb / 1024, (int(campos[11]) + int(campos[12])) / _TICKS)


def cpu_de_arbol(pid: int) -> float | None:
    """Segundos de CPU de un proceso, de sus hijos vivos y de los que ya terminaron (PostgreSQL: un proceso por
    conexión); None si el proceso no existe."""
    hijos, propio = 0.0, None
    for entrada in Path("/proc").iterdir():
        if not entrada.name.isdigit():
            continue
        try:
            campos = (entrada / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if entrada.name == str(pid):
            propio = sum(int(c) for c in campos[11:15])  # utime, stime y los de sus hijos ya esperados
        elif campos[1] == str(pid):
            hijos += int(campos[11]) + int(campos[12])
    return None if propio is None else (propio + hijos) / _TICKS


async def metricas(instancia: Instancia) -> dict[str, float]:
    """Las métricas Prometheus de la instancia, sumadas por nombre (sin etiquetas)."""
    if instancia.puerto is None:
        return {}
    async with httpx.AsyncClient() as cliente:
        try:
            texto = (await cliente.get(f"http://127.0.0.1:{instancia.puerto}/metricas", timeout=5)).text
        except httpx.HTTPError:
            return {}
    return sumar_metricas(texto)


def sumar_metricas(texto: str) -> dict[str, float]:
    sumas: dict[str, float] = {}
    for renglon in texto.splitlines():
        if renglon and not renglon.startswith("#"):
            nombre, _, valor = renglon.rpartition(" ")
            nombre = nombre.split("{", 1)[0]
            try:
                sumas[nombre] = sumas.get(nombre, 0.0) + float(valor)
            except ValueError:
                continue
    return sumas


def detener(instancias: list[Instancia], plazo_s: float = 30) -> None:
    """SIGTERM a cada una, espera, y SIGKILL a la que no termine."""
    for i in instancias:
        if i.proceso.poll() is None:
            i.proceso.send_signal(signal.SIGTERM)
    for i in instancias:
        try:
            i.proceso.wait(timeout=plazo_s)
        except subprocess.TimeoutExpired:
            i.proceso.kill()
            i.proceso.wait()
