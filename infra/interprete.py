"""El Python del entorno virtual: de los Python 3.11+ de la máquina que pueden crear uno, el que corre más rápido.

Los servicios son Python de punta a punta, y cómo se compiló el intérprete pesa: uno sin PGO ni LTO y con
libpython compartida (lo que arma pyenv por omisión) corre el mismo Python puro un 30-40 % más lento que uno optimizado
(el de Debian, el de las imágenes oficiales de Docker). Se mide con un trabajo fijo de Python puro (objetos,
diccionarios, textos) y se elige el de menor tiempo; `PYTHON=...` en `make` se salta la elección.

`python3 -m infra.interprete` imprime la ruta del elegido; con `--detalle`, también lo medido (a stderr)."""

import os
import shutil
import subprocess
import sys

CANDIDATOS = ("python3", "python3.11", "python3.12", "python3.13", "/usr/bin/python3", "/usr/bin/python3.11",
              "/usr/bin/python3.12", "/usr/bin/python3.13", "/usr/local/bin/python3")

# Se corre en cada candidato: si sirve (3.11+, con venv y ensurepip) y cuánto tarda lo mismo, lo mejor de cinco.
PRUEBA = r"""
import sys, time
if sys.version_info < (3, 11):
    raise SystemExit(3)
import ensurepip, venv  # noqa: F401 - sin ellos no se crea el entorno con pip

class Fila:
    __slots__ = ("a", "b", "c")
    def __init__(self, a, b, c):
        self.a, self.b, self.c = a, b, c

def trabajo():
    indice, total = {}, 0
    for i in range(100_000):
        f = Fila(i, f"persona-{i % 500}", {"i": i})
        indice[f.b] = f
        total += len(f.b) + f.c["i"] % 7
    return total

tiempos = []
for _ in range(5):
    inicio = time.perf_counter()
    trabajo()
    tiempos.append(time.perf_counter() - inicio)
print(min(tiempos), sys.executable, "%d.%d.%d" % sys.version_info[:3])
"""


def medir(ejecutable: str) -> tuple[float, str, str] | None:
    """(segundos, ruta real, versión) o None si no sirve para el entorno virtual."""
    try:
        r = subprocess.run([ejecutable, "-I", "-c", PRUEBA], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    segundos, ruta, version = r.stdout.split()
    return float(segundos), ruta, version


def elegir(candidatos=CANDIDATOS, detalle=None, rondas: int = 5) -> str:
    """El más rápido por su mejor tiempo en `rondas` rondas alternadas (un momento lento de la máquina no elige)."""
    vistos: dict[str, tuple[float, str, str]] = {}  # ruta real → (mejor tiempo, ruta, versión)
    for nombre in candidatos:
        if (ruta := shutil.which(nombre)) is not None and (medido := medir(ruta)) is not None:
            segundos, real, version = medido
            vistos.setdefault(os.path.realpath(real), (segundos, real, version))
    for _ in range(rondas - 1):
        for clave, (mejor, real, version) in vistos.items():
            if (medido := medir(real)) is not None and medido[0] < mejor:
                vistos[clave] = (medido[0], real, version)
    if not vistos:
        return "python3"
    if detalle:
        for segundos, real, version in sorted(vistos.values()):
            detalle(f"python    {real} (Python {version}): {segundos * 1000:.0f} ms")
    return min(vistos.values())[1]


if __name__ == "__main__":
    aviso = (lambda t: print(t, file=sys.stderr)) if "--detalle" in sys.argv else None
    print(elegir(detalle=aviso))
