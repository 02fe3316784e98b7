"""Entorno embebido de ALVA: Kafka 4.1.1 (KRaft), PostgreSQL y un buzón SMTP reales, solo en loopback."""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import fcntl
import hashlib
import importlib.util
import os
import pathlib
import pwd
import secrets
import shlex
import shutil
import signal
import smtplib
import socket
import stat
import struct
import subprocess
import sys
import time

RAIZ = pathlib.Path(__file__).resolve().parents[1]
POM = RAIZ / "infra" / "kafka" / "pom.xml"
LOG4J = RAIZ / "infra" / "kafka" / "log4j2.properties"
VERSION_KAFKA = "4.1.1"
HOST = "127.0.0.1"
COMPONENTES = ("kafka", "postgres", "smtp")
PLAZO = {"kafka": 90.0, "postgres": 60.0, "smtp": 20.0}  # segundos hasta "listo"
_hijos: list[subprocess.Popen] = []  # referencias vivas: evita ResourceWarning al recolectar los Popen


class ErrorEntorno(Exception):
    """Falta algo para levantar el entorno; el mensaje dice qué y cómo arreglarlo."""


@dataclasses.dataclass(frozen=True)
class Entorno:
    kafka_bootstrap: str
    postgres_dsn: str
    smtp_host: str
    smtp_puerto: int
    buzon: pathlib.Path


def _puerto(variable: str, defecto: int) -> int:
    valor = os.environ.get(variable) or str(defecto)
    if not valor.isdigit() or not 0 < int(valor) < 65536:
        raise ErrorEntorno(f"{variable}={valor!r} is not a TCP port number (1-65535)")
    return int(valor)


def _puertos() -> dict[str, int]:
    return {"kafka": _puerto("ALVA_KAFKA_PUERTO", 19092),
            "controlador": _puerto("ALVA_KAFKA_PUERTO_CONTROLADOR", 19093),
            "postgres": _puerto("ALVA_PG_PUERTO", 15432),
            "smtp": _puerto("ALVA_SMTP_PUERTO", 10025)}


def carpeta_datos() -> pathlib.Path:
    return pathlib.Path(os.environ.get("ALVA_DATOS") or RAIZ / ".alva").expanduser().absolute()


def entorno_embebido() -> Entorno:
    """Direcciones del entorno embebido; no arranca ni toca nada."""
    p = _puertos()
    return Entorno(f"{HOST}:{p['kafka']}", f"postgresql://alva@{HOST}:{p['postgres']}/alva",
                   HOST, p["smtp"], carpeta_datos() / "buzon")


@dataclasses.dataclass(frozen=True)
class _Componente:
    nombre: str
    pid: pathlib.Path  # archivo con el pid en la primera línea
    marca: str  # texto que debe aparecer en la línea de órdenes del proceso
    log: pathlib.Path
    puerto: int
    variable: str  # ALVA_*_PUERTO
    externo: str  # cómo usar un servidor existente en su lugar


def _componentes() -> dict[str, _Componente]:
    d, p = carpeta_datos(), _puertos()
    return {
        "kafka": _Componente("kafka", d / "kafka/kafka.pid", "kafka.Kafka", d / "kafka/kafka.log", p["kafka"],
                             "ALVA_KAFKA_PUERTO", "KAFKA_BOOTSTRAP_SERVERS"),
        "postgres": _Componente("postgres", d / "postgres/datos/postmaster.pid", "postgres",
                                d / "postgres/postgres.log", p["postgres"], "ALVA_PG_PUERTO", "ALVA_POSTGRES_DSN"),
        "smtp": _Componente("smtp", d / "smtp/smtp.pid", "infra.buzon", d / "smtp/smtp.log", p["smtp"],
                            "ALVA_SMTP_PUERTO", "ALVA_SMTP_HOST + ALVA_SMTP_PUERTO"),
    }


# ---------- procesos, puertos y esperas ----------

def _pid_vivo(c: _Componente) -> int | None:
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


def _exigir_libre(c: _Componente, puerto: int, variable: str) -> None:
    if not _ocupado(puerto):
        return
    quien = _quien_escucha(puerto)
    raise ErrorEntorno(
        f"port {HOST}:{puerto} is already in use by something that is not ALVA's {c.nombre}"
        f"{f' ({quien})' if quien else ''}. Fix: free the port, set {variable} to another port, or point the "
        f"project at an existing server with {c.externo} and start only the other components "
        f"(python -m infra.entorno arrancar {' '.join(n for n in COMPONENTES if n != c.nombre)}).")


def _cola(log: pathlib.Path, lineas: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lineas:])
    except OSError:
        return "(no log)"


def _esperar(c: _Componente, listo, vivo) -> None:
    """Sondea `listo()` cada 0.2 s hasta PLAZO; falla en cuanto el proceso muere."""
    limite = time.monotonic() + PLAZO[c.nombre]
    while not listo():
        if not vivo():
            raise ErrorEntorno(f"{c.nombre} exited during start-up; last lines of {c.log}:\n{_cola(c.log)}")
        if time.monotonic() > limite:
            raise ErrorEntorno(f"{c.nombre} not ready after {PLAZO[c.nombre]:.0f} s; "
                               f"last lines of {c.log}:\n{_cola(c.log)}")
        time.sleep(0.2)


def _ya_corre(c: _Componente, listo, salida) -> bool:
    pid = _pid_vivo(c)
    if pid is None:
        return False
    _esperar(c, listo, lambda: _pid_vivo(c) is not None)
    salida(f"{c.nombre:<9} {HOST}:{c.puerto}  already running (pid {pid})")
    return True


def _lanzar(c: _Componente, orden: list[str]) -> subprocess.Popen:
    c.log.parent.mkdir(parents=True, exist_ok=True)
    with open(c.log, "wb") as log:
        proc = subprocess.Popen(orden, cwd=RAIZ, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    c.pid.write_text(f"{proc.pid}\n")
    _hijos.append(proc)
    return proc


def _ejecutar(orden: list, que: str, **kw) -> str:
    r = subprocess.run([str(x) for x in orden], capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise ErrorEntorno(f"{que} failed (exit {r.returncode}):\n{(r.stdout + r.stderr).strip()[-3000:]}")
    return r.stdout


# ---------- Kafka ----------

def kafka_responde(bootstrap: str, plazo: float = 2.0) -> bool:
    """True si en `host:puerto` un broker Kafka contesta bien una petición ApiVersions v0 hecha a mano."""
    host, _, puerto = bootstrap.rpartition(":")
    correlacion, cliente = secrets.randbits(31), b"alva-entorno"
    peticion = struct.pack(">hhih", 18, 0, correlacion, len(cliente)) + cliente  # api_key=18 ApiVersions, v0
    try:
        with socket.create_connection((host, int(puerto)), timeout=plazo) as s:
            s.sendall(struct.pack(">i", len(peticion)) + peticion)
            largo = struct.unpack(">i", _leer(s, 4))[0]
            if not 10 <= largo < 1 << 20:
                return False
            respuesta = _leer(s, largo)
    except (OSError, ValueError):
        return False
    corr, error, n = struct.unpack_from(">ihi", respuesta)
    if largo != 10 + 6 * n:
        return False
    claves = {struct.unpack_from(">h", respuesta, 10 + 6 * i)[0] for i in range(n)}
    return corr == correlacion and error == 0 and 18 in claves


def _leer(s: socket.socket, n: int) -> bytes:
    datos = b""
    while len(datos) < n:
        trozo = s.recv(n - len(datos))
        if not trozo:
            raise ConnectionError("connection closed")
        datos += trozo
    return datos


def _libs_kafka(salida) -> pathlib.Path:
    """Jars de Kafka en la caché del usuario; Maven solo corre si faltan o cambió el pom."""
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache")
    cache = cache / "alva" / f"kafka-{VERSION_KAFKA}"
    libs, huella = cache / "libs", hashlib.sha256(POM.read_bytes()).hexdigest()
    if (libs / ".completo").is_file() and (libs / ".completo").read_text() == huella:
        return libs
    if not shutil.which("mvn"):
        raise ErrorEntorno("mvn not found: it downloads the Apache Kafka jars once. Fix: apt-get install maven")
    salida(f"kafka     downloading Apache Kafka {VERSION_KAFKA} jars with Maven into {libs} (only once)")
    temporal = cache / f"libs.tmp-{os.getpid()}"
    shutil.rmtree(temporal, ignore_errors=True)
    r = subprocess.run(["mvn", "-B", "-q", "-Dstyle.color=never", "-f", str(POM), "dependency:copy-dependencies",
                        "-DincludeScope=runtime", f"-DoutputDirectory={temporal}"], capture_output=True, text=True)
    if r.returncode != 0 or not list(temporal.glob(f"kafka_2.13-{VERSION_KAFKA}.jar")):
        ultimas = "\n".join((r.stdout + r.stderr).strip().splitlines()[-20:])
        raise ErrorEntorno(f"Maven could not download Apache Kafka {VERSION_KAFKA} (exit {r.returncode}). Check access "
                           f"to Maven Central or the mirror in ~/.m2/settings.xml. Maven's last lines:\n{ultimas}")
    (temporal / ".completo").write_text(huella)
    shutil.rmtree(libs, ignore_errors=True)
    temporal.rename(libs)
    return libs


def _propiedades_kafka(puerto: int, controlador: int, datos: pathlib.Path) -> str:
    return "\n".join([
        "process.roles=broker,controller", "node.id=1",
        f"listeners=PLAINTEXT://{HOST}:{puerto},CONTROLLER://{HOST}:{controlador}",
        f"advertised.listeners=PLAINTEXT://{HOST}:{puerto}", "controller.listener.names=CONTROLLER",
        f"controller.quorum.bootstrap.servers={HOST}:{controlador}",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={datos}", "num.partitions=3", "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1", "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0", "auto.create.topics.enable=true", ""])


def _arrancar_kafka(c: _Componente, salida) -> None:
    if _ya_corre(c, lambda: kafka_responde(f"{HOST}:{c.puerto}"), salida):
        return
    controlador = _puertos()["controlador"]
    _exigir_libre(c, c.puerto, c.variable)
    _exigir_libre(c, controlador, "ALVA_KAFKA_PUERTO_CONTROLADOR")
    java = shutil.which("java")
    if not java:
        raise ErrorEntorno("java not found: Apache Kafka 4.1 needs Java 17+. "
                           "Fix: apt-get install openjdk-17-jre-headless")
    libs = _libs_kafka(salida)
    inicio, carpeta = time.monotonic(), c.log.parent
    carpeta.mkdir(parents=True, exist_ok=True)
    propiedades = carpeta / "server.properties"
    propiedades.write_text(_propiedades_kafka(c.puerto, controlador, carpeta / "datos"))
    jvm = [java, "-cp", f"{libs}/*", f"-Dlog4j2.configurationFile={LOG4J}", f"-Dkafka.logs.dir={carpeta}",
           "-Djava.awt.headless=true"]
    nota = ""
    if not (carpeta / "datos" / "meta.properties").exists():
        id_cluster = "-"
        while id_cluster.startswith("-"):  # un id que empiece por "-" parecería una opción
            id_cluster = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
        _ejecutar([*jvm, "kafka.tools.StorageTool", "format", "--standalone", "-t", id_cluster, "-c", propiedades],
                  "Kafka storage format")
        nota = ", storage formatted"
    proc = _lanzar(c, [jvm[0], "-Xms256m", "-Xmx768m", *jvm[1:], "kafka.Kafka", str(propiedades)])
    _esperar(c, lambda: kafka_responde(f"{HOST}:{c.puerto}"), lambda: proc.poll() is None)
    salida(f"kafka     {HOST}:{c.puerto}  ready in {time.monotonic() - inicio:.1f} s "
           f"(KRaft, Apache Kafka {VERSION_KAFKA}{nota})")


# ---------- PostgreSQL ----------

def _bin_postgres() -> pathlib.Path:
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


def _como_postgres() -> tuple[list[str], pwd.struct_passwd | None]:
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


def _preparar_carpeta_postgres(carpeta: pathlib.Path, usuario, salida) -> None:
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


def _postgres_listo(binarios: pathlib.Path, puerto: int) -> bool:
    orden = [binarios / "pg_isready", "-q", "-h", HOST, "-p", str(puerto), "-t", "2"]
    return subprocess.run(orden, capture_output=True).returncode == 0


def _iniciar_postgres(c: _Componente, binarios: pathlib.Path, salida) -> None:
    como, usuario = _como_postgres()
    carpeta = c.log.parent
    _preparar_carpeta_postgres(carpeta, usuario, salida)
    datos, enchufe = carpeta / "datos", str(carpeta / "socket")
    if not (datos / "PG_VERSION").exists():
        _ejecutar([*como, binarios / "initdb", "-D", datos, "-U", "alva", "--auth=trust", "-E", "UTF8",
                   "--locale=C"], "initdb", cwd=carpeta)
    enchufe = shlex.quote(enchufe) if len(enchufe) < 90 else "''"  # un socket unix admite 107 bytes; '' = sin socket
    opciones = (f"-p {c.puerto} -c listen_addresses={HOST} -k {enchufe} -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=200")
    try:
        _ejecutar([*como, binarios / "pg_ctl", "-D", datos, "-l", c.log, "-o", opciones, "-w", "-t", "60", "start"],
                  "pg_ctl start", cwd=carpeta)
    except ErrorEntorno as e:
        raise ErrorEntorno(f"{e}\nlast lines of {c.log}:\n{_cola(c.log)}") from None


def _arrancar_postgres(c: _Componente, salida) -> None:
    binarios = _bin_postgres()
    if not _ya_corre(c, lambda: _postgres_listo(binarios, c.puerto), salida):
        _exigir_libre(c, c.puerto, c.variable)
        inicio = time.monotonic()
        _iniciar_postgres(c, binarios, salida)
        _esperar(c, lambda: _postgres_listo(binarios, c.puerto), lambda: _pid_vivo(c) is not None)
        version = _ejecutar([binarios / "pg_ctl", "--version"], "pg_ctl --version").split()[2]
        salida(f"postgres  {HOST}:{c.puerto}  ready in {time.monotonic() - inicio:.1f} s "
               f"(PostgreSQL {version}, database alva)")
    base = [binarios / "psql", "-X", "-h", HOST, "-p", c.puerto, "-U", "alva", "-d", "postgres", "-tAc"]
    if _ejecutar([*base, "SELECT 1 FROM pg_database WHERE datname = 'alva'"], "psql").strip() != "1":
        _ejecutar([*base, "CREATE DATABASE alva"], "CREATE DATABASE alva")


# ---------- SMTP ----------

def smtp_saluda(host: str, puerto: int) -> bool:
    try:
        with smtplib.SMTP(host, puerto, timeout=2) as s:  # lee el saludo 220; si no, lanza
            s.noop()
        return True
    except (OSError, smtplib.SMTPException):
        return False


def _arrancar_smtp(c: _Componente, salida) -> None:
    if _ya_corre(c, lambda: smtp_saluda(HOST, c.puerto), salida):
        return
    _exigir_libre(c, c.puerto, c.variable)
    if importlib.util.find_spec("aiosmtpd") is None:
        raise ErrorEntorno(f"aiosmtpd is not installed for {sys.executable}. Fix: install the project in this "
                           "interpreter (pip install -e .) or pip install aiosmtpd==1.4.6")
    buzon, inicio = entorno_embebido().buzon, time.monotonic()
    buzon.mkdir(parents=True, exist_ok=True)
    proc = _lanzar(c, [sys.executable, "-m", "infra.buzon", "--puerto", str(c.puerto), "--buzon", str(buzon)])
    _esperar(c, lambda: smtp_saluda(HOST, c.puerto), lambda: proc.poll() is None)
    salida(f"smtp      {HOST}:{c.puerto}  ready in {time.monotonic() - inicio:.1f} s (mails saved in {buzon})")


# ---------- API ----------

_ARRANQUES = {"kafka": _arrancar_kafka, "postgres": _arrancar_postgres, "smtp": _arrancar_smtp}


def arrancar(componentes=COMPONENTES, *, salida=print) -> Entorno:
    """Arranca (o reutiliza, si ya corren) los componentes pedidos y devuelve sus direcciones."""
    desconocidos = sorted(set(componentes) - set(COMPONENTES))
    if desconocidos:
        raise ErrorEntorno(f"unknown component(s) {', '.join(desconocidos)}; choose from {', '.join(COMPONENTES)}")
    entorno, todos = entorno_embebido(), _componentes()
    with _cerrojo():
        for nombre in COMPONENTES:
            if nombre in componentes:
                _ARRANQUES[nombre](todos[nombre], salida)
    return entorno


@contextlib.contextmanager
def _cerrojo():
    """Serializa arrancar/detener entre procesos (p. ej. varias sesiones de pytest a la vez)."""
    carpeta_datos().mkdir(parents=True, exist_ok=True)
    with open(carpeta_datos() / ".cerrojo", "w") as archivo:
        fcntl.flock(archivo, fcntl.LOCK_EX)
        yield


def _terminar(c: _Componente, pid: int) -> None:
    """SIGTERM y espera; si no basta, SIGKILL."""
    for senal, plazo in ((signal.SIGTERM, 60.0), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, senal)
        except ProcessLookupError:
            break
        limite = time.monotonic() + plazo
        while _pid_vivo(c) is not None and time.monotonic() < limite:
            time.sleep(0.2)
        if _pid_vivo(c) is None:
            break
    c.pid.unlink(missing_ok=True)


def _parar(c: _Componente, salida) -> None:
    pid, inicio = _pid_vivo(c), time.monotonic()
    if pid is None:
        salida(f"{c.nombre:<9} not running")
        return
    if c.nombre == "postgres":
        como, _ = _como_postgres()
        _ejecutar([*como, _bin_postgres() / "pg_ctl", "-D", c.pid.parent, "-m", "fast", "-w", "-t", "60", "stop"],
                  "pg_ctl stop", cwd=c.log.parent)
    else:
        _terminar(c, pid)
    for proc in _hijos:
        proc.poll()  # recoge los zombis de procesos hijos de este intérprete
    salida(f"{c.nombre:<9} stopped in {time.monotonic() - inicio:.1f} s")


def detener(*, borrar: bool = False, salida=print) -> None:
    """Para SMTP, Kafka y PostgreSQL (lo que esté corriendo); con `borrar`, elimina además la carpeta de datos."""
    todos, datos = _componentes(), carpeta_datos()
    if not datos.exists():
        salida(f"nothing to stop: {datos} does not exist")
        return
    with _cerrojo():
        for nombre in ("smtp", "kafka", "postgres"):
            _parar(todos[nombre], salida)
    if borrar:
        if datos in (pathlib.Path("/"), pathlib.Path.home(), RAIZ, *RAIZ.parents):
            raise ErrorEntorno(f"refusing to delete {datos}: ALVA_DATOS points at a folder that is not ALVA's own")
        shutil.rmtree(datos)
        salida(f"deleted   {datos}")


def estado(*, salida=print) -> dict[str, bool]:
    resultado = {}
    for nombre, c in _componentes().items():
        pid = _pid_vivo(c)
        resultado[nombre] = pid is not None
        detalle = f"running  {HOST}:{c.puerto}  (pid {pid})" if pid else f"stopped  {HOST}:{c.puerto}"
        salida(f"{nombre:<9} {detalle}")
    return resultado


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.entorno", description=__doc__)
    ordenes = parser.add_subparsers(dest="orden", required=True)
    ordenes.add_parser("arrancar", help="start (or reuse) the components").add_argument(
        "componentes", nargs="*", metavar="{kafka,postgres,smtp}", help="default: all three")
    ordenes.add_parser("detener", help="stop everything; data stays").add_argument(
        "--borrar", action="store_true", help="also delete the data folder")
    ordenes.add_parser("estado", help="show what is running")
    args = parser.parse_args(argv)
    try:
        if args.orden == "arrancar":
            arrancar(tuple(args.componentes) or COMPONENTES)
        elif args.orden == "detener":
            detener(borrar=args.borrar)
        else:
            estado()
    except ErrorEntorno as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
