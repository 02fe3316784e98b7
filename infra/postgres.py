"""PostgreSQL embebido: los binarios del sistema, una base `alva` en loopback, durable (fsync y commit síncrono)."""

from __future__ import annotations

import os
import pathlib
import pwd
import shlex
import shutil
import stat
import subprocess
import time

from infra.comun import HOST, Componente, ErrorEntorno, cola, ejecutar, esperar, exigir_libre, pid_vivo, ya_corre


def binarios() -> pathlib.Path:
    en_path = shutil.which("pg_ctl")  # puede ser un enlace suelto: su destino trae el resto de binarios
    candidatas = [pathlib.Path(en_path).resolve().parent] if en_path else []
    candidatas += sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin"), reverse=True,
                         key=lambda b: int(b.parent.name) if b.parent.name.isdigit() else 0)
    for carpeta in candidatas:
        if all((carpeta / b).exists() for b in ("initdb", "pg_ctl", "pg_isready", "psql", "createdb")):
            return carpeta
    raise ErrorEntorno("PostgreSQL server binaries (initdb, pg_ctl, ...) not found on PATH nor in "
                       "/usr/lib/postgresql/*/bin. Fix: apt-get install postgresql, or set ALVA_POSTGRES_DSN to an "
                       "existing server and start only: python -m infra.entorno arrancar kafka smtp")


def como_postgres() -> tuple[list[str], pwd.struct_passwd | None]:
    """Como root, PostgreSQL corre con el usuario del sistema `postgres` (se niega a correr como root)."""
    if os.geteuid() != 0:
        return [], None
    try:
        usuario = pwd.getpwnam("postgres")
    except KeyError:
        raise ErrorEntorno("running as root, and PostgreSQL refuses to run as root, but there is no 'postgres' user. "
                           "Fix: useradd --system --no-create-home postgres, or run as a normal user, or set "
                           "ALVA_POSTGRES_DSN to an existing server and start only: "
                           "python -m infra.entorno arrancar kafka smtp") from None
    return ["runuser", "-u", usuario.pw_name, "--"], usuario


def _preparar_carpeta(carpeta: pathlib.Path, usuario, salida) -> None:
    (carpeta / "socket").mkdir(parents=True, exist_ok=True)
    if usuario is None:
        return
    abiertas = []
    for ancestro in [carpeta.parent, *carpeta.parent.parents]:
        modo = ancestro.stat().st_mode
        if not modo & stat.S_IXOTH:
            ancestro.chmod(stat.S_IMODE(modo) | stat.S_IXOTH)
            abiertas.append(str(ancestro))
    if abiertas:
        salida(f"postgres  added o+x to {', '.join(abiertas)} so user postgres can reach {carpeta}")
    for ruta in (carpeta, carpeta / "socket", carpeta / "postgres.log"):
        if ruta.exists():
            os.chown(ruta, usuario.pw_uid, usuario.pw_gid)


# Memoria y puntos de control para una base que recibe miles de filas por segundo (los de PostgreSQL son para
# una máquina mínima: 128 MB de búfer, un punto de control cada 1 GB de WAL); nada de esto toca la durabilidad
# (fsync, synchronous_commit y full_page_writes siguen encendidos): sólo alarga la recuperación tras una caída.
AJUSTES = "-c shared_buffers=512MB -c max_wal_size=4GB -c checkpoint_timeout=15min"


def _listo(bins: pathlib.Path, puerto: int) -> bool:
    orden = [bins / "pg_isready", "-q", "-h", HOST, "-p", str(puerto), "-t", "2"]
    return subprocess.run(orden, capture_output=True).returncode == 0


def _iniciar(c: Componente, bins: pathlib.Path, salida) -> None:
    como, usuario = como_postgres()
    carpeta = c.log.parent
    _preparar_carpeta(carpeta, usuario, salida)
    datos, enchufe = carpeta / "datos", str(carpeta / "socket")
    if not (datos / "PG_VERSION").exists():
        ejecutar([*como, bins / "initdb", "-D", datos, "-U", "alva", "--auth=trust", "-E", "UTF8",
                  "--locale=C"], "initdb", cwd=carpeta)
    enchufe = shlex.quote(enchufe) if len(enchufe) < 90 else "''"  # un socket unix admite 107 bytes; '' = sin socket
    opciones = f"-p {c.puerto} -c listen_addresses={HOST} -k {enchufe} -c max_connections=200 {AJUSTES}"
    try:
        ejecutar([*como, bins / "pg_ctl", "-D", datos, "-l", c.log, "-o", opciones, "-w", "-t", "60", "start"],
                 "pg_ctl start", cwd=carpeta)
    except ErrorEntorno as e:
        raise ErrorEntorno(f"{e}\nlast lines of {c.log}:\n{cola(c.log)}") from None


def _sin_durabilidad(psql: list) -> bool:
    """Si corre con fsync, synchronous_commit o full_page_writes apagados (como lo arrancaba un ALVA anterior)."""
    consulta = ("SELECT count(*) FROM pg_settings WHERE setting <> 'on' "
                "AND name IN ('fsync', 'synchronous_commit', 'full_page_writes')")
    return ejecutar([*psql, consulta], "psql").strip() != "0"


def arrancar(c: Componente, salida) -> None:
    bins = binarios()
    psql = [bins / "psql", "-X", "-h", HOST, "-p", c.puerto, "-U", "alva", "-d", "postgres", "-tAc"]
    corre = ya_corre(c, lambda: _listo(bins, c.puerto), salida)
    if corre and _sin_durabilidad(psql):
        salida("postgres  restarting: an earlier ALVA started it with fsync=off; it runs durable from now on")
        parar(c)
        corre = False
    if not corre:
        exigir_libre(c, c.puerto, c.variable)
        inicio = time.monotonic()
        _iniciar(c, bins, salida)
        esperar(c, lambda: _listo(bins, c.puerto), lambda: pid_vivo(c) is not None)
        version = ejecutar([bins / "pg_ctl", "--version"], "pg_ctl --version").split()[2]
        salida(f"postgres  {HOST}:{c.puerto}  ready in {time.monotonic() - inicio:.1f} s "
               f"(PostgreSQL {version}, database alva)")
    if ejecutar([*psql, "SELECT 1 FROM pg_database WHERE datname = 'alva'"], "psql").strip() != "1":
        ejecutar([*psql, "CREATE DATABASE alva"], "CREATE DATABASE alva")


def parar(c: Componente) -> None:
    como, _ = como_postgres()
    ejecutar([*como, binarios() / "pg_ctl", "-D", c.pid.parent, "-m", "fast", "-w", "-t", "60", "stop"],
             "pg_ctl stop", cwd=c.log.parent)
