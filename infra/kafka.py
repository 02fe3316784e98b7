"""Kafka embebido: Apache Kafka 4.1.1 en KRaft, sólo SASL_SSL con SCRAM-SHA-512, ACLs y sin tópicos automáticos."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import pathlib
import secrets
import shutil
import socket
import ssl
import struct
import subprocess
import time
from typing import TYPE_CHECKING

from infra.comun import (HOST, RAIZ, Componente, ErrorEntorno, carpeta_datos, ejecutar, escribir_secreto, esperar,
                         exigir_libre, lanzar, pid_vivo, puertos, ya_corre)

if TYPE_CHECKING:
    from infra.tls import RutasTLS

POM = RAIZ / "infra" / "kafka" / "pom.xml"
LOG4J = RAIZ / "infra" / "kafka" / "log4j2.properties"
VERSION_KAFKA = "4.1.1"
MECANISMO = "SCRAM-SHA-512"
ADMIN = "alva-admin"  # super usuario: aprovisiona; ningún servicio lo usa
CONTROLADOR = "alva-controlador"  # el broker ante su propio controlador KRaft (PLAIN: KRaft no admite SCRAM ahí)
ITERACIONES_SCRAM = 8192


@dataclasses.dataclass(frozen=True)
class RutasKafka:
    carpeta: pathlib.Path

    @property
    def datos(self) -> pathlib.Path:
        return self.carpeta / "datos"

    @property
    def carpeta_tls(self) -> pathlib.Path:
        return self.carpeta / "tls"

    @property
    def ca(self) -> pathlib.Path:
        return self.carpeta_tls / "ca.pem"

    @property
    def tls(self) -> RutasTLS:
        from infra.tls import RutasTLS  # cryptography sólo al arrancar: detener y estado no la necesitan

        return RutasTLS.en(self.carpeta_tls)

    @property
    def principales(self) -> pathlib.Path:
        return self.carpeta / "principales"

    @property
    def propiedades(self) -> pathlib.Path:
        return self.carpeta / "server.properties"

    def principal(self, nombre: str) -> pathlib.Path:
        return self.principales / f"{nombre}.json"


def rutas() -> RutasKafka:
    return RutasKafka(carpeta_datos() / "kafka")


def clave_de(ruta: pathlib.Path, usuario: str) -> str:
    """La clave guardada en `ruta` ({"usuario", "clave"}, 0600); si no hay, una nueva que queda guardada."""
    try:
        return json.loads(ruta.read_text())["clave"]
    except (OSError, ValueError, KeyError):
        clave = secrets.token_urlsafe(32)
        escribir_secreto(ruta, json.dumps({"usuario": usuario, "clave": clave}) + "\n")
        return clave


# ---------- disponibilidad ----------

def kafka_responde(bootstrap: str, plazo: float = 2.0, *, ca: pathlib.Path | str | None = None) -> bool:
    """True si en `host:puerto` un broker Kafka contesta bien una petición ApiVersions v0 hecha a mano.

    Sobre TLS validado con `ca` (sin `ca`, la autoridad del entorno embebido si existe; si no, en claro):
    Kafka responde ApiVersions antes de la autenticación SASL."""
    host, _, puerto = bootstrap.rpartition(":")
    ca = ca or (rutas().ca if rutas().ca.is_file() else None)
    correlacion, cliente = secrets.randbits(31), b"alva-entorno"
    peticion = struct.pack(">hhih", 18, 0, correlacion, len(cliente)) + cliente  # api_key=18 ApiVersions, v0
    try:
        with _conectar(host, int(puerto), plazo, ca) as s:
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


def _conectar(host: str, puerto: int, plazo: float, ca) -> socket.socket:
    s = socket.create_connection((host, puerto), timeout=plazo)
    if ca is None:
        return s
    try:
        return ssl.create_default_context(cafile=str(ca)).wrap_socket(s, server_hostname=host)
    except BaseException:
        s.close()
        raise


def _leer(s: socket.socket, n: int) -> bytes:
    datos = b""
    while len(datos) < n:
        trozo = s.recv(n - len(datos))
        if not trozo:
            raise ConnectionError("connection closed")
        datos += trozo
    return datos


# ---------- configuración ----------

def propiedades(*, oyentes: dict[str, str], anunciados: dict[str, str], entre_brokers: str,
                controlador: tuple[str, str], datos: str, rutas_tls: RutasTLS, clave_admin: str,
                clave_controlador: str) -> str:
    """server.properties de un nodo KRaft (broker + controlador) con todos sus oyentes en SASL_SSL.

    `oyentes`/`anunciados`: nombre -> host:puerto de los oyentes de clientes; `controlador`: (escucha, dirección)."""
    jaas_admin = f'username="{ADMIN}" password="{clave_admin}"'
    scram = [f"listener.name.{n.lower()}.scram-sha-512.sasl.jaas.config="
             "org.apache.kafka.common.security.scram.ScramLoginModule required"
             f"{' ' + jaas_admin if n == entre_brokers else ''};" for n in oyentes]
    return "\n".join([
        "process.roles=broker,controller", "node.id=1",
        "listeners=" + ",".join([f"{n}://{d}" for n, d in oyentes.items()] + [f"CONTROLLER://{controlador[0]}"]),
        "advertised.listeners=" + ",".join(f"{n}://{d}" for n, d in anunciados.items()),
        "controller.listener.names=CONTROLLER", f"controller.quorum.bootstrap.servers={controlador[1]}",
        "listener.security.protocol.map=" + ",".join(f"{n}:SASL_SSL" for n in [*oyentes, "CONTROLLER"]),
        f"inter.broker.listener.name={entre_brokers}",
        f"sasl.enabled.mechanisms={MECANISMO}", f"sasl.mechanism.inter.broker.protocol={MECANISMO}", *scram,
        "sasl.mechanism.controller.protocol=PLAIN", "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
        "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule "
        f'required username="{CONTROLADOR}" password="{clave_controlador}" '
        f'user_{CONTROLADOR}="{clave_controlador}";',
        "ssl.keystore.type=PEM", f"ssl.keystore.location={rutas_tls.broker}",
        "ssl.truststore.type=PEM", f"ssl.truststore.location={rutas_tls.ca}", "ssl.client.auth=none",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found=false", f"super.users=User:{ADMIN};User:{CONTROLADOR}",
        "auto.create.topics.enable=false", "log.message.timestamp.type=LogAppendTime",
        f"log.dirs={datos}", "num.partitions=3", "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1", "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0", ""])


def id_cluster() -> str:
    id_ = "-"
    while id_.startswith("-"):  # un id que empiece por "-" parecería una opción
        id_ = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
    return id_


def scram_inicial(clave_admin: str) -> str:
    """El argumento --add-scram del formateo: la credencial del administrador nace con el clúster."""
    return f"{MECANISMO}=[name={ADMIN},iterations={ITERACIONES_SCRAM},password={clave_admin}]"


# ---------- arranque ----------

def libs_kafka(salida) -> pathlib.Path:
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


def _exigir_seguro(c: Componente, r: RutasKafka) -> None:
    """Los datos de una versión anterior (Kafka en claro, sin usuarios ni ACLs) no se reutilizan en silencio."""
    en_claro = r.propiedades.is_file() and "SASL_SSL" not in r.propiedades.read_text(errors="replace")
    sin_admin = (r.datos / "meta.properties").is_file() and not r.principal(ADMIN).is_file()
    if not (en_claro or sin_admin):
        return
    pid = pid_vivo(c)
    corre = f"a Kafka without security started by an earlier ALVA is running (pid {pid}), and " if pid else ""
    raise ErrorEntorno(
        f"{corre}{r.carpeta} holds Kafka data from an earlier ALVA without security (plaintext, no users, no ACLs). "
        "This version runs Kafka only with SASL_SSL, SCRAM users and ACLs, and cannot take those topics over. "
        f"Fix: python -m infra.entorno detener --borrar (stops everything and deletes {carpeta_datos()}: "
        "Kafka, PostgreSQL and the mailbox), then start again.")


def _configurar(r: RutasKafka, puerto: int, controlador: int) -> str:
    """Autoridad y certificado, claves del administrador y del controlador, server.properties (0600).
    Devuelve la clave del administrador."""
    from infra import tls

    tls.asegurar(r.carpeta_tls)
    clave_admin = clave_de(r.principal(ADMIN), ADMIN)
    escribir_secreto(r.propiedades, propiedades(
        oyentes={"CLIENTES": f"{HOST}:{puerto}"}, anunciados={"CLIENTES": f"{HOST}:{puerto}"},
        entre_brokers="CLIENTES", controlador=(f"{HOST}:{controlador}", f"{HOST}:{controlador}"),
        datos=str(r.datos), rutas_tls=r.tls, clave_admin=clave_admin,
        clave_controlador=clave_de(r.principal(CONTROLADOR), CONTROLADOR)))
    return clave_admin


def java_de_kafka() -> str:
    """El `java` del broker: el que nombre ALVA_JAVA (p. ej. un JDK más nuevo que el del PATH) o el del PATH."""
    elegido = os.environ.get("ALVA_JAVA")
    if elegido:
        ruta = shutil.which(elegido)
        if not ruta:
            raise ErrorEntorno(f"ALVA_JAVA={elegido!r} is not an executable java. Fix: name a JDK's bin/java "
                               "(17 or newer), e.g. ALVA_JAVA=/usr/lib/jvm/<jdk>/bin/java, or unset it")
        return ruta
    java = shutil.which("java")
    if not java:
        raise ErrorEntorno("java not found: Apache Kafka 4.1 needs Java 17+. "
                           "Fix: apt-get install openjdk-17-jre-headless")
    return java


def version_java(java: str) -> str | None:
    """La versión que dice `java -version` (p. ej. "17.0.15"), o None si no la dice."""
    try:
        r = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for linea in (r.stderr + r.stdout).splitlines():
        if " version " in linea and linea.count('"') >= 2:
            return linea.split('"')[1]
    return None


def _iniciar(c: Componente, r: RutasKafka, salida) -> None:
    controlador = puertos()["controlador"]
    exigir_libre(c, c.puerto, c.variable)
    exigir_libre(c, controlador, "ALVA_KAFKA_PUERTO_CONTROLADOR")
    java = java_de_kafka()
    libs = libs_kafka(salida)
    inicio = time.monotonic()
    clave_admin = _configurar(r, c.puerto, controlador)
    jvm = [java, "-cp", f"{libs}/*", f"-Dlog4j2.configurationFile={LOG4J}", f"-Dkafka.logs.dir={r.carpeta}",
           "-Djava.awt.headless=true"]
    nota = ""
    if not (r.datos / "meta.properties").exists():
        ejecutar([*jvm, "kafka.tools.StorageTool", "format", "--standalone", "-t", id_cluster(), "-c", r.propiedades,
                  "--add-scram", scram_inicial(clave_admin)], "Kafka storage format")
        nota = ", storage formatted"
    proc = lanzar(c, [jvm[0], "-Xms256m", "-Xmx768m", *jvm[1:], "kafka.Kafka", str(r.propiedades)])
    esperar(c, lambda: kafka_responde(f"{HOST}:{c.puerto}", ca=r.ca), lambda: proc.poll() is None)
    salida(f"kafka     {HOST}:{c.puerto}  ready in {time.monotonic() - inicio:.1f} s "
           f"(KRaft, Apache Kafka {VERSION_KAFKA} on Java {version_java(java) or '?'}, SASL_SSL + {MECANISMO}{nota})")


def otorgantes() -> list[str]:
    """Los otorgantes de ALVA_OTORGANTES (programa -> otorgante); su ingreso existe desde el primer arranque."""
    texto = os.environ.get("ALVA_OTORGANTES") or '{"ALVA": "prodheg"}'
    try:
        mapa = json.loads(texto)
        return sorted({str(o) for o in mapa.values()})
    except (ValueError, AttributeError):
        raise ErrorEntorno(f"ALVA_OTORGANTES={texto!r} is not a JSON map program -> otorgante, "
                           'e.g. {"ALVA": "prodheg"}') from None


def _provisionar(r: RutasKafka, salida) -> None:
    from plataforma import provision
    from plataforma.kafka import conexion_embebida

    try:
        hecho = provision.preparar(conexion_embebida(ADMIN), otorgantes=otorgantes(),
                                   particiones=int(os.environ.get("ALVA_PARTICIONES") or 3),
                                   replicacion=int(os.environ.get("ALVA_REPLICACION") or 1),
                                   carpeta_credenciales=r.principales)
    except provision.ErrorProvision as e:
        raise ErrorEntorno(f"kafka is up but provisioning failed: {e}") from None
    if hecho:
        salida(f"kafka     provisioned: {hecho}")


def arrancar(c: Componente, salida) -> None:
    r = rutas()
    _exigir_seguro(c, r)
    if not ya_corre(c, lambda: kafka_responde(f"{HOST}:{c.puerto}", ca=r.ca), salida):
        _iniciar(c, r, salida)
    _provisionar(r, salida)
