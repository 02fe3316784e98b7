"""Arrancar y detener los procesos supervisados (los servicios y la consola): lo que usan `alva servicios`, `make up`/`make down` y `make demo`."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from alva.consola.config import AjustesConsola
from alva.supervision import procesos
from alva.supervision.procesos import CONSOLA, SUPERVISADOS, modulo
from alva.supervision.registro import (MARCA_SUPERVISOR, Rutas, cerrojo, cola, escribir_deseados, leer_deseados,
                                       leer_json, vive)
from alva.supervision.sonda import Fila, consultar, supervisor_vivo
from alva.supervision.supervisor import AjustesBitacoras
from infra import entorno as infra
from plataforma.embebido import RAIZ

PLAZO_SUPERVISOR_S = 15.0
PLAZO_DETENER_S = 45.0  # el supervisor da 30 s a cada servicio antes de SIGKILL
_lanzados: list[subprocess.Popen] = []  # el supervisor, si lo lanzó este proceso: se recoge al terminar


class ErrorServicios(Exception):
    """Los servicios no pudieron arrancar o detenerse; el mensaje dice por qué y qué hacer."""


class NoListos(ErrorServicios):
    def __init__(self, mensaje: str, filas: list[Fila]) -> None:
        super().__init__(mensaje)
        self.filas = filas


def preparar_infraestructura(salida: Callable[[str], None] = print) -> Path | None:
    """Arranca lo que el entorno no nombra; devuelve el buzón local si el SMTP es el embebido."""
    propios = {"kafka": "KAFKA_BOOTSTRAP_SERVERS", "postgres": "ALVA_POSTGRES_DSN", "smtp": "ALVA_SMTP_HOST"}
    faltan = [c for c, variable in propios.items() if not os.environ.get(variable)]
    for c, variable in propios.items():
        if c not in faltan:
            salida(f"{c:<9} {os.environ[variable]}  (de {variable})")
    entorno = infra.arrancar(tuple(faltan), salida=salida) if faltan else None
    return entorno.buzon if entorno and "smtp" in faltan else None


def en_marcha(rutas: Rutas | None = None) -> list[str]:
    """Los servicios que un supervisor vivo mantiene en marcha (ninguno, si no hay supervisor)."""
    rutas = rutas or Rutas.actuales()
    return list(leer_deseados(rutas)) if supervisor_vivo(leer_json(rutas.estado)) else []


def arrancar(nombres: list[str], *, plazo_s: float = 120.0, rutas: Rutas | None = None) -> tuple[bool, list[Fila]]:
    """Deja corriendo los `nombres` bajo un solo supervisor y espera a que estén listos; (ya corrían, filas)."""
    rutas = rutas or Rutas.actuales()
    with cerrojo(rutas):
        pid = supervisor_vivo(leer_json(rutas.estado))
        previos = leer_deseados(rutas) if pid else {}
        nuevos = [n for n in nombres if n not in previos]
        if nuevos:
            if not pid:
                _detener_huerfanos(rutas, SUPERVISADOS)  # los que dejó un supervisor muerto tienen los puertos
            ajustes = AjustesConsola()
            puertos = procesos.puertos(ajustes)
            _exigir_puertos_libres(nuevos, puertos, ajustes)
            escribir_deseados(rutas, {**previos, **{n: puertos[n] for n in nuevos}})
            if pid:
                os.kill(pid, signal.SIGHUP)
            else:
                _esperar_supervisor(rutas, _lanzar_supervisor(rutas))
    return not nuevos, esperar_listos(rutas, nombres, plazo_s)


def _exigir_puertos_libres(nombres: list[str], puertos: dict[str, int], ajustes: AjustesConsola) -> None:
    for nombre in nombres:
        host, puerto = (ajustes.host_consola if nombre == CONSOLA else ajustes.host_operacion), puertos[nombre]
        if puerto <= 0:
            raise ErrorServicios(f"{nombre} necesita un puerto fijo bajo el supervisor, no {puerto}: elíjalo con "
                                 f"{'ALVA_PUERTO_CONSOLA' if nombre == CONSOLA else 'ALVA_PUERTOS_OPERACION'}.")
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            try:
                s.bind((host, puerto))
            except OSError:
                raise ErrorServicios(
                    f"El puerto de {nombre} ({host}:{puerto}) está ocupado (¿otra instancia a mano, u otro ALVA?). "
                    f"Libérelo o elija otro, p. ej. {_otro_puerto(nombre, puerto + 10)}.") from None


def _otro_puerto(nombre: str, puerto: int) -> str:
    if nombre == CONSOLA:
        return f"ALVA_PUERTO_CONSOLA={puerto}"
    return f"ALVA_PUERTOS_OPERACION='{{\"{nombre}\": {puerto}}}'"


def _lanzar_supervisor(rutas: Rutas) -> subprocess.Popen:
    try:
        AjustesBitacoras()  # lo que el supervisor leerá: mejor decirlo aquí que en su bitácora
    except ValidationError as e:
        problema = e.errors()[0]
        raise ErrorServicios(f"ALVA_{str(problema['loc'][0]).upper()}={problema.get('input')!r}: "
                             f"{problema['msg']}.") from None
    rutas.bitacoras.mkdir(parents=True, exist_ok=True)
    with open(rutas.bitacora("supervisor"), "ab") as salida:
        proceso = subprocess.Popen([sys.executable, "-m", MARCA_SUPERVISOR], cwd=RAIZ, stdin=subprocess.DEVNULL,
                                   stdout=salida, stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, "ALVA_SERVICIOS_CARPETA": str(rutas.carpeta)})
    _lanzados.append(proceso)
    return proceso


def _esperar_supervisor(rutas: Rutas, proceso: subprocess.Popen) -> None:
    """Hasta que anote su primer estado (su pid en estado.json); si muere antes, con su bitácora."""
    limite = time.monotonic() + PLAZO_SUPERVISOR_S
    while (leer_json(rutas.estado) or {}).get("supervisor", {}).get("pid") != proceso.pid:
        if proceso.poll() is not None or time.monotonic() > limite:
            raise ErrorServicios(f"El supervisor no arrancó; últimas líneas de {rutas.bitacora('supervisor')}:\n"
                                 f"{cola(rutas.bitacora('supervisor'))}")
        time.sleep(0.1)


def esperar_listos(rutas: Rutas, nombres: list[str], plazo_s: float) -> list[Fila]:
    """Sondea `/salud/listo` de cada uno hasta que todos respondan 200; falla al vencer el plazo, si el supervisor
    muere o si un servicio se cae dos veces mientras tanto (con las últimas líneas de su bitácora)."""
    limite, inicio = time.monotonic() + plazo_s, None
    while True:
        estado, filas = consultar(rutas, nombres)
        inicio = inicio or {f.servicio: f.reinicios for f in filas}
        if all(f.listo for f in filas):
            return filas
        if supervisor_vivo(estado) is None:
            raise NoListos(f"El supervisor terminó; vea {rutas.bitacora('supervisor')}", filas)
        if caidos := [f for f in filas if f.reinicios - inicio[f.servicio] >= 2]:
            raise NoListos(_explicar(caidos, "se cae al arrancar"), filas)
        if time.monotonic() > limite:
            raise NoListos(_explicar([f for f in filas if not f.listo], f"no está listo tras {plazo_s:g} s"), filas)
        time.sleep(0.5)


def _explicar(filas: list[Fila], que: str) -> str:
    partes = [f"{f.servicio} {que} ({f.motivo or f.situacion}); últimas líneas de {f.bitacora}:\n"
              f"{cola(Path(f.bitacora), 12)}" for f in filas]
    return "\n".join(partes) + "\nEl supervisor sigue reintentando; `alva servicios detener` lo para."


def detener(nombres: list[str] | None = None, *, rutas: Rutas | None = None) -> dict:
    """Detiene los `nombres` (todos, si no se dan) en orden; devuelve el último estado anotado de cada uno."""
    rutas = rutas or Rutas.actuales()
    with cerrojo(rutas):
        estado = leer_json(rutas.estado) or {}
        pid, deseados = supervisor_vivo(estado), leer_deseados(rutas)
        quedan = {n: p for n, p in deseados.items() if n not in (nombres or SUPERVISADOS)}
        if pid and quedan:
            escribir_deseados(rutas, quedan)
            os.kill(pid, signal.SIGHUP)
            return _esperar_detenidos(rutas, nombres)
        if pid:
            _detener_supervisor(pid)
        estado = leer_json(rutas.estado) or estado
        _detener_huerfanos(rutas, SUPERVISADOS)
        for archivo in (rutas.estado, rutas.deseados):
            archivo.unlink(missing_ok=True)
        return estado.get("servicios", {})


def _detener_supervisor(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    if not _esperar(lambda: not vive(pid, MARCA_SUPERVISOR), PLAZO_DETENER_S):
        os.kill(pid, signal.SIGKILL)  # sus hijos quedan huérfanos: los detiene _detener_huerfanos
        _esperar(lambda: not vive(pid, MARCA_SUPERVISOR), 5)


def _esperar_detenidos(rutas: Rutas, nombres: list[str]) -> dict:
    def detenidos() -> bool:
        anotados = (leer_json(rutas.estado) or {}).get("servicios", {})
        return all(anotados.get(n, {}).get("pid") is None for n in nombres)

    if not _esperar(detenidos, PLAZO_DETENER_S):
        raise ErrorServicios(f"{', '.join(nombres)} no se detuvo en {PLAZO_DETENER_S:g} s; vea sus bitácoras en "
                             f"{rutas.bitacoras}")
    return {n: s for n, s in (leer_json(rutas.estado) or {}).get("servicios", {}).items() if n in nombres}


def _detener_huerfanos(rutas: Rutas, nombres) -> None:
    """Procesos que sobrevivieron a su supervisor (p. ej. tras un SIGKILL): SIGTERM, y SIGKILL si no basta."""
    anotados = (leer_json(rutas.estado) or {}).get("servicios", {})
    pids = [(s["pid"], modulo(n)) for n, s in anotados.items() if n in nombres and s.get("pid")]
    vivos = [(pid, marca) for pid, marca in pids if vive(pid, marca)]
    for senal, plazo in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 5.0)):
        for pid, _ in vivos:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, senal)
        if _esperar(lambda: not any(vive(p, m) for p, m in vivos), plazo):
            return


def _esperar(condicion: Callable[[], bool], plazo_s: float) -> bool:
    limite = time.monotonic() + plazo_s
    while not condicion():
        for proceso in _lanzados:
            proceso.poll()  # recoge al supervisor si es hijo de este proceso: no queda zombi
        if time.monotonic() > limite:
            return False
        time.sleep(0.1)
    return True
