"""Entorno embebido de ALVA: Kafka 4.1.1 (KRaft, SASL_SSL), PostgreSQL y un buzón SMTP reales, solo en loopback."""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import shutil
import sys
import time

from infra import kafka, postgres, smtp
from infra.comun import (COMPONENTES, HOST, RAIZ, ErrorEntorno, carpeta_datos, cerrojo, componentes, pid_vivo,
                         puertos, recoger_hijos, terminar)
from infra.kafka import kafka_responde
from infra.smtp import smtp_saluda

__all__ = ["COMPONENTES", "Entorno", "ErrorEntorno", "arrancar", "carpeta_datos", "detener", "entorno_embebido",
           "estado", "kafka_responde", "main", "smtp_saluda"]


@dataclasses.dataclass(frozen=True)
class Entorno:
    kafka_bootstrap: str
    postgres_dsn: str
    smtp_host: str
    smtp_puerto: int
    buzon: pathlib.Path


def entorno_embebido() -> Entorno:
    """Direcciones del entorno embebido; no arranca ni toca nada."""
    p = puertos()
    return Entorno(f"{HOST}:{p['kafka']}", f"postgresql://alva@{HOST}:{p['postgres']}/alva",
                   HOST, p["smtp"], carpeta_datos() / "buzon")


def _arrancar_smtp(c, salida) -> None:
    smtp.arrancar(c, entorno_embebido().buzon, salida)


_ARRANQUES = {"kafka": kafka.arrancar, "postgres": postgres.arrancar, "smtp": _arrancar_smtp}


def arrancar(componentes_pedidos=COMPONENTES, *, salida=print) -> Entorno:
    """Arranca (o reutiliza, si ya corren) los componentes pedidos y devuelve sus direcciones.

    Kafka queda aprovisionado: tópicos, principales de los servicios y del operador, ACLs y el ingreso de cada
    otorgante (ALVA_OTORGANTES)."""
    desconocidos = sorted(set(componentes_pedidos) - set(COMPONENTES))
    if desconocidos:
        raise ErrorEntorno(f"unknown component(s) {', '.join(desconocidos)}; choose from {', '.join(COMPONENTES)}")
    entorno, todos = entorno_embebido(), componentes()
    with cerrojo():
        for nombre in COMPONENTES:
            if nombre in componentes_pedidos:
                _ARRANQUES[nombre](todos[nombre], salida)
    return entorno


def _parar(c, salida) -> None:
    pid, inicio = pid_vivo(c), time.monotonic()
    if pid is None:
        salida(f"{c.nombre:<9} not running")
        return
    if c.nombre == "postgres":
        postgres.parar(c)
    else:
        terminar(c, pid)
    recoger_hijos()
    salida(f"{c.nombre:<9} stopped in {time.monotonic() - inicio:.1f} s")


def detener(*, borrar: bool = False, salida=print) -> None:
    """Para SMTP, Kafka y PostgreSQL (lo que esté corriendo); con `borrar`, elimina además la carpeta de datos."""
    todos, datos = componentes(), carpeta_datos()
    if not datos.exists():
        salida(f"nothing to stop: {datos} does not exist")
        return
    with cerrojo():
        for nombre in ("smtp", "kafka", "postgres"):
            _parar(todos[nombre], salida)
    if borrar:
        if datos in (pathlib.Path("/"), pathlib.Path.home(), RAIZ, *RAIZ.parents):
            raise ErrorEntorno(f"refusing to delete {datos}: ALVA_DATOS points at a folder that is not ALVA's own")
        shutil.rmtree(datos)
        salida(f"deleted   {datos}")


def estado(*, salida=print) -> dict[str, bool]:
    resultado = {}
    for nombre, c in componentes().items():
        pid = pid_vivo(c)
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
