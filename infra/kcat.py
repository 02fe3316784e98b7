"""kcat que habla SCRAM con Kafka 4: el de Debian, con la librdkafka (≥ 2.6.1) que trae confluent-kafka."""

from __future__ import annotations

import os
import pathlib
import shutil
import stat
import subprocess
import sys

AVISO = ("the kcat of Debian 12 links librdkafka 2.0.2, whose SCRAM is refused by Kafka 4 (fixed in librdkafka "
         "2.6.1); this one runs it with the librdkafka that confluent-kafka ships")


def envoltura() -> pathlib.Path:
    """En el venv (`.venv/bin/kcat`); fuera de uno, en la caché de ALVA, nunca encima del kcat del sistema."""
    if sys.prefix != sys.base_prefix:
        return pathlib.Path(sys.prefix) / "bin" / "kcat"
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache")
    return cache / "alva" / "bin" / "kcat"


def kcat_del_sistema() -> str | None:
    fuera_del_venv = [p for p in os.environ.get("PATH", os.defpath).split(os.pathsep)
                      if p and pathlib.Path(p).resolve() != envoltura().parent.resolve()]
    return shutil.which("kcat", path=os.pathsep.join([*fuera_del_venv, "/usr/bin", "/usr/local/bin"]))


def librdkafka_de_confluent() -> pathlib.Path | None:
    try:
        import confluent_kafka
    except ImportError:
        return None
    libs = pathlib.Path(confluent_kafka.__file__).parent.parent / "confluent_kafka.libs"
    return next(iter(sorted(libs.glob("librdkafka*.so*"))), None)


def _apt_install(salida) -> None:
    if not shutil.which("apt-get"):
        return
    como = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if como and not shutil.which("sudo"):
        return
    salida("kcat      not found: apt-get install -y kcat")
    orden = [*como, "apt-get", "install", "-y", "-q", "kcat"]
    if subprocess.run(orden, capture_output=True).returncode != 0:
        subprocess.run([*como, "apt-get", "update", "-q"], capture_output=True)
        subprocess.run(orden, capture_output=True)


def asegurar(*, instalar: bool = False, salida=print) -> pathlib.Path | None:
    """La ruta de un kcat que sirve (la envoltura del venv); None si no hay kcat en el sistema."""
    sistema = kcat_del_sistema()
    if sistema is None and instalar:
        _apt_install(salida)
        sistema = kcat_del_sistema()
    if sistema is None:
        return None
    libreria = librdkafka_de_confluent()
    if libreria is None:
        return pathlib.Path(sistema)
    destino = envoltura()
    carpeta = destino.parent.parent / "lib" / "alva-librdkafka"
    carpeta.mkdir(parents=True, exist_ok=True)
    destino.parent.mkdir(parents=True, exist_ok=True)
    enlace = carpeta / "librdkafka.so.1"
    if not enlace.is_symlink() or enlace.resolve() != libreria.resolve():
        enlace.unlink(missing_ok=True)
        enlace.symlink_to(libreria)
    destino.write_text(f"#!/bin/sh\n# {AVISO}.\n"
                       f'LD_LIBRARY_PATH="{carpeta}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}" exec {sistema} "$@"\n')
    destino.chmod(destino.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return destino


def main() -> int:
    ruta = asegurar(instalar=True)
    if ruta is None:
        print("kcat      not installed (optional: institutions' examples use it). Fix: apt-get install kcat",
              file=sys.stderr)
        return 0
    version = subprocess.run([str(ruta), "-V"], capture_output=True, text=True).stdout
    libreria = next((linea.split("librdkafka ")[1].split()[0] for linea in version.splitlines()
                     if "librdkafka " in linea), "?")
    print(f"kcat      {ruta} (librdkafka {libreria})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
