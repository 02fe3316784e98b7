"""docker-compose: los secretos de Kafka (autoridad, certificado, claves, server.properties) y su aprovisionamiento."""

from __future__ import annotations

import argparse
import os
import pathlib
import shlex
import shutil
import sys

from infra import tls
from infra.comun import escribir_secreto
from infra.kafka import (ADMIN, CONTROLADOR, MECANISMO, RutasKafka, clave_de, id_cluster, otorgantes, propiedades,
                         scram_inicial)

SECRETOS_KAFKA = pathlib.Path("/alva-kafka")  # sólo kafka, seguridad y aprovisionar lo montan
CREDENCIALES = pathlib.Path("/alva")  # la autoridad y las claves de los servicios; los servicios lo montan (ro)
CLAVES_FIRMA = pathlib.Path("/alva-claves")  # las claves de firma de los otorgantes; sólo distintivos lo monta (ro)
DATOS_CONSOLA = pathlib.Path("/alva-consola")  # ALVA_DATOS de la consola: su secreto de sesión y sus cuentas
DATOS_KAFKA = pathlib.Path("/var/lib/kafka/data")
UID_KAFKA = 1000  # appuser de apache/kafka
UID_ALVA = 10001  # usuario de la imagen de ALVA (Dockerfile)
PLANTILLA = {"oyentes": {"INTERNO": ":9092", "EXTERNO": ":29092"},
             "anunciados": {"INTERNO": "kafka:9092", "EXTERNO": "localhost:9092"},  # EXTERNO: el anfitrión
             "entre_brokers": "INTERNO", "controlador": (":9093", "kafka:9093")}


def propiedades_compose(r: RutasKafka, clave_admin: str, clave_controlador: str) -> str:
    return propiedades(**PLANTILLA, datos=str(DATOS_KAFKA), rutas_tls=r.tls, clave_admin=clave_admin,
                       clave_controlador=clave_controlador)


def _arrancar_sh(r: RutasKafka, clave_admin: str) -> str:
    formatear = shlex.join(["/opt/kafka/bin/kafka-storage.sh", "format", "--standalone", "-t", id_cluster(),
                            "-c", str(r.propiedades), "--add-scram", scram_inicial(clave_admin)])
    return ("#!/bin/bash\nset -euo pipefail\n"
            f"if [ ! -f {DATOS_KAFKA}/meta.properties ]; then\n  {formatear}\nfi\n"
            f"exec /opt/kafka/bin/kafka-server-start.sh {r.propiedades}\n")


def _cliente_admin(r: RutasKafka, clave_admin: str) -> str:
    """Propiedades de un cliente Java (el healthcheck con kafka-broker-api-versions.sh)."""
    return "\n".join([
        "security.protocol=SASL_SSL", f"sasl.mechanism={MECANISMO}",
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{ADMIN}" password="{clave_admin}";',
        "ssl.truststore.type=PEM", f"ssl.truststore.location={r.tls.ca}", ""])


def _dueno(raiz: pathlib.Path, uid: int) -> None:
    for ruta in [raiz, *raiz.rglob("*")]:
        os.chown(ruta, uid, uid)


def claves_de_firma(carpeta: pathlib.Path = CLAVES_FIRMA) -> list[str]:
    """Una clave Ed25519 por otorgante que aún no tenga (la rotación agrega otra con `alva claves rotar`)."""
    from servicios.distintivos.claves import archivos_de, crear_clave

    creadas = []
    for otorgante in otorgantes():
        if not archivos_de(carpeta, otorgante):
            crear_clave(carpeta, otorgante)
            creadas.append(otorgante)
    return creadas


def secretos(kafka: pathlib.Path = SECRETOS_KAFKA, alva: pathlib.Path = CREDENCIALES,
             datos: pathlib.Path = DATOS_KAFKA, claves: pathlib.Path = CLAVES_FIRMA,
             consola: pathlib.Path = DATOS_CONSOLA) -> None:
    """Autoridad y certificado del broker (SAN kafka, localhost, 127.0.0.1), claves del administrador y del
    controlador, server.properties, el guion de arranque y la clave de firma de cada otorgante; lo que ya existe
    se conserva. La carpeta de la consola queda para el usuario de ALVA (un volumen nuevo es de root)."""
    r = RutasKafka(kafka)
    tls.asegurar(r.carpeta_tls, dns=("kafka", "localhost"), ips=("127.0.0.1",))
    clave_admin = clave_de(r.principal(ADMIN), ADMIN)
    escribir_secreto(r.propiedades, propiedades_compose(r, clave_admin, clave_de(r.principal(CONTROLADOR),
                                                                                     CONTROLADOR)))
    escribir_secreto(r.carpeta / "arrancar.sh", _arrancar_sh(r, clave_admin))
    escribir_secreto(r.carpeta / "cliente-admin.properties", _cliente_admin(r, clave_admin))
    (alva / "principales").mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copyfile(r.tls.ca, alva / "ca.pem")
    os.chmod(alva / "ca.pem", 0o644)
    creadas = claves_de_firma(claves)
    if os.geteuid() == 0:
        _dueno(kafka, UID_KAFKA)
        _dueno(datos, UID_KAFKA)
        _dueno(alva / "principales", UID_ALVA)
        _dueno(claves, UID_ALVA)
        if consola.is_dir():
            _dueno(consola, UID_ALVA)
    if creadas:
        print(f"seguridad: clave de firma creada para {', '.join(creadas)} en {claves}")
    print(f"seguridad: {r.tls.ca} y los secretos de Kafka listos en {kafka}; autoridad copiada a {alva / 'ca.pem'}")


def aprovisionar(alva: pathlib.Path = CREDENCIALES, bootstrap_clientes: str | None = None) -> None:
    """`preparar` como el administrador (ALVA_KAFKA_*); las claves de los servicios quedan en <alva>/principales."""
    from plataforma import provision
    from plataforma.kafka import conexion_desde_entorno

    hecho = provision.preparar(conexion_desde_entorno(ADMIN), otorgantes=otorgantes(),
                               particiones=int(os.environ.get("ALVA_PARTICIONES") or 3),
                               replicacion=int(os.environ.get("ALVA_REPLICACION") or 1),
                               carpeta_credenciales=alva / "principales", bootstrap_clientes=bootstrap_clientes)
    if os.geteuid() == 0:
        _dueno(alva / "principales", UID_ALVA)
    print(f"aprovisionar: {hecho or 'nada nuevo'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.compose", description=__doc__)
    ordenes = parser.add_subparsers(dest="orden", required=True)
    ordenes.add_parser("secretos", help="TLS, claves y configuración de Kafka en los volúmenes")
    ordenes.add_parser("aprovisionar", help="tópicos, principales y ACLs").add_argument(
        "--bootstrap-clientes", help="dirección de Kafka en la configuración de cliente que se escribe")
    args = parser.parse_args(argv)
    if args.orden == "secretos":
        secretos()
    else:
        aprovisionar(bootstrap_clientes=args.bootstrap_clientes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
