"""Lo común del entorno embebido: carpeta de datos, puertos, procesos, esperas, errores y archivos secretos."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time

from plataforma import embebido
from plataforma.embebido import escribir_secreto  # noqa: F401 - la usan kafka, tls y compose

RAIZ = pathlib.Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
COMPONENTES = ("kafka", "postgres", "smtp")
PLAZO = {"kafka": 90.0, "postgres": 60.0, "smtp": 20.0}  # segundos hasta "listo"
_hijos: list[subprocess.Popen] = []  # referencias vivas: evita ResourceWarning al recolectar los Popen


class ErrorEntorno(Exception):
    """Falta algo para levantar el entorno; el mensaje dice qué y cómo arreglarlo."""


@dataclasses.dataclass(frozen=True)
class Componente:
    nombre: str
    pid: pathlib.Path  # archivo con el pid en la primera línea
    marca: str  # texto que debe aparecer en la línea de órdenes del proceso
    log: pathlib.Path
    puerto: int
    variable: str  # ALVA_*_PUERTO
    externo: str  # cómo usar un servidor existente en su lugar


def puertos() -> dict[str, int]:
    try:
        return embebido.puertos()
    except embebido.PuertoInvalido as e:
        raise ErrorEntorno(str(e)) from None


def carpeta_datos() -> pathlib.Path:
    return embebido.carpeta_datos()


def componentes() -> dict[str, Componente]:
    d, p = carpeta_datos(), puertos()
    return {
        "kafka": Componente("kafka", d / "kafka/kafka.pid", "kafka.Kafka", d / "kafka/kafka.log", p["kafka"],
                            "ALVA_KAFKA_PUERTO", "KAFKA_BOOTSTRAP_SERVERS"),
        "postgres": Componente("postgres", d / "postgres/datos/postmaster.pid", "postgres",
                               d / "postgres/postgres.log", p["postgres"], "ALVA_PG_PUERTO", "ALVA_POSTGRES_DSN"),
        "smtp": Componente("smtp", d / "smtp/smtp.pid", "infra.buzon", d / "smtp/smtp.log", p["smtp"],
                           "ALVA_SMTP_PUERTO", "ALVA_SMTP_HOST + ALVA_SMTP_PUERTO"),
    }


def pid_vivo(c: Componente) -> int | None:
    """El pid del archivo si ese proceso vive y es el nuestro (un zombi tiene la línea de órdenes vacía)."""
    try:
        pid = int(c.pid.read_text().split()[0])
        orden = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, ValueError, IndexError):
        return None
    return pid if c.marca in orden else None


def _ocupado(puerto: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, puerto))
        except OSError:
            return True
    return False


def _quien_escucha(puerto: int) -> str:
    """Lo que `ss -ltnp` dice del puerto (dirección y proceso), o "" si no lo sabe."""
    if not shutil.which("ss"):
        return ""
    filas = [f.split() for f in subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True).stdout.splitlines()]
    return "; ".join(" ".join(f[3:]) for f in filas if len(f) > 3 and f[3].endswith(f":{puerto}"))


def exigir_libre(c: Componente, puerto: int, variable: str) -> None:
    if not _ocupado(puerto):
        return
    quien = _quien_escucha(puerto)
    raise ErrorEntorno(
        f"port {HOST}:{puerto} is already in use by something that is not ALVA's {c.nombre}"
        f"{f' ({quien})' if quien else ''}. Fix: free the port, set {variable} to another port, or point the "
        f"project at an existing server with {c.externo} and start only the other components "
        f"(python -m infra.entorno arrancar {' '.join(n for n in COMPONENTES if n != c.nombre)}).")


def cola(log: pathlib.Path, lineas: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lineas:])
    except OSError:
        return "(no log)"


def esperar(c: Componente, listo, vivo) -> None:
    """Sondea `listo()` cada 0.2 s hasta PLAZO; falla en cuanto el proceso muere."""
    limite = time.monotonic() + PLAZO[c.nombre]
    while not listo():
        if not vivo():
            raise ErrorEntorno(f"{c.nombre} exited during start-up; last lines of {c.log}:\n{cola(c.log)}")
        if time.monotonic() > limite:
            raise ErrorEntorno(f"{c.nombre} not ready after {PLAZO[c.nombre]:.0f} s; "
                               f"last lines of {c.log}:\n{cola(c.log)}")
        time.sleep(0.2)


def ya_corre(c: Componente, listo, salida) -> bool:
    pid = pid_vivo(c)
    if pid is None:
        return False
    esperar(c, listo, lambda: pid_vivo(c) is not None)
    salida(f"{c.nombre:<9} {HOST}:{c.puerto}  already running (pid {pid})")
    return True


def lanzar(c: Componente, orden: list[str]) -> subprocess.Popen:
    c.log.parent.mkdir(parents=True, exist_ok=True)
    with open(c.log, "wb") as log:
        proc = subprocess.Popen(orden, cwd=RAIZ, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    c.pid.write_text(f"{proc.pid}\n")
    _hijos.append(proc)
    return proc


def recoger_hijos() -> None:
    for proc in _hijos:
        proc.poll()  # recoge los zombis de procesos hijos de este intérprete


def ejecutar(orden: list, que: str, **kw) -> str:
    r = subprocess.run([str(x) for x in orden], capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise ErrorEntorno(f"{que} failed (exit {r.returncode}):\n{(r.stdout + r.stderr).strip()[-3000:]}")
    return r.stdout


def terminar(c: Componente, pid: int) -> None:
    """SIGTERM y espera; si no basta, SIGKILL."""
    for senal, plazo in ((signal.SIGTERM, 60.0), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, senal)
        except ProcessLookupError:
            break
        limite = time.monotonic() + plazo
        while pid_vivo(c) is not None and time.monotonic() < limite:
            time.sleep(0.2)
        if pid_vivo(c) is None:
            break
    c.pid.unlink(missing_ok=True)


@contextlib.contextmanager
def cerrojo():
    """Serializa arrancar/detener entre procesos (p. ej. varias sesiones de pytest a la vez)."""
    carpeta_datos().mkdir(parents=True, exist_ok=True)
    with open(carpeta_datos() / ".cerrojo", "w") as archivo:
        fcntl.flock(archivo, fcntl.LOCK_EX)
        yield


