"""Dónde deja el supervisor lo suyo (estado, servicios deseados, bitácoras) y cómo se lee y se escribe sin carreras."""

import contextlib
import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from alva.supervision.procesos import SUPERVISADOS
from plataforma.embebido import carpeta_datos

MARCA_SUPERVISOR = "alva.supervision"


@dataclass(frozen=True)
class Rutas:
    """`<carpeta>/servicios/` (estado, deseados, cerrojo) y `<carpeta>/bitacoras/` (una bitácora por proceso)."""

    carpeta: Path

    @classmethod
    def actuales(cls) -> "Rutas":
        """ALVA_SERVICIOS_CARPETA, o la carpeta de datos (ALVA_DATOS, `.alva/`)."""
        valor = os.environ.get("ALVA_SERVICIOS_CARPETA")
        return cls(Path(valor).expanduser().absolute() if valor else carpeta_datos())

    @property
    def estado(self) -> Path:
        return self.carpeta / "servicios" / "estado.json"

    @property
    def deseados(self) -> Path:
        return self.carpeta / "servicios" / "deseados.json"

    @property
    def cerrojo(self) -> Path:
        return self.carpeta / "servicios" / ".cerrojo"

    @property
    def bitacoras(self) -> Path:
        return self.carpeta / "bitacoras"

    def bitacora(self, nombre: str) -> Path:
        return self.bitacoras / f"{nombre}.log"


def escribir_json(ruta: Path, datos: dict) -> None:
    """Escribe completo o nada: quien lee nunca ve un archivo a medias."""
    ruta.parent.mkdir(parents=True, exist_ok=True)
    temporal = ruta.with_name(f".{ruta.name}.{os.getpid()}.tmp")
    temporal.write_text(json.dumps(datos, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    temporal.replace(ruta)


def leer_json(ruta: Path) -> dict | None:
    try:
        return json.loads(ruta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def leer_deseados(rutas: Rutas) -> dict[str, int]:
    """Los procesos que el supervisor debe mantener en marcha, con el puerto de cada uno."""
    deseados = (leer_json(rutas.deseados) or {}).get("servicios")
    return {s: int(deseados[s]) for s in SUPERVISADOS if s in deseados} if isinstance(deseados, dict) else {}


def escribir_deseados(rutas: Rutas, deseados: dict[str, int]) -> None:
    escribir_json(rutas.deseados, {"servicios": {s: deseados[s] for s in SUPERVISADOS if s in deseados}})


def vive(pid: int | None, marca: str) -> bool:
    """El proceso existe y es el que creemos (su línea de órdenes lleva `marca`; la de un zombi está vacía)."""
    if not pid:
        return False
    try:
        orden = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return marca in orden


@contextlib.contextmanager
def cerrojo(rutas: Rutas):
    """Un `arrancar` o `detener` a la vez por carpeta: dos a la vez no levantan dos supervisores."""
    rutas.cerrojo.parent.mkdir(parents=True, exist_ok=True)
    with open(rutas.cerrojo, "w") as archivo:
        fcntl.flock(archivo, fcntl.LOCK_EX)
        yield


def cola(ruta: Path, lineas: int = 20) -> str:
    """Las últimas líneas de una bitácora (sin leerla entera si es grande)."""
    try:
        with open(ruta, "rb") as archivo:
            archivo.seek(max(0, archivo.seek(0, os.SEEK_END) - 256 * 1024))
            texto = archivo.read().decode(errors="replace")
    except OSError:
        return f"(no hay bitácora en {ruta})"
    return "\n".join(texto.splitlines()[-lineas:])


def rotar(ruta: Path, maximo_bytes: int, copias: int) -> bool:
    """Si la bitácora pasa de `maximo_bytes`, su contenido pasa a `<nombre>.1` (la `.1` a `.2`, …; la más vieja
    más allá de `copias` se borra) y ella queda vacía. Como `copytruncate` de logrotate: el proceso que la escribe
    la abrió para agregar (O_APPEND) y sigue escribiendo en ella, ahora desde el principio, sin reabrirla; lo que
    escriba entre la copia y el vaciado se pierde (unas líneas, a lo más). Dice si rotó."""
    try:
        if ruta.stat().st_size <= maximo_bytes:
            return False
    except FileNotFoundError:
        return False
    for k in range(copias - 1, 0, -1):
        vieja = ruta.with_name(f"{ruta.name}.{k}")
        if vieja.exists():
            vieja.replace(ruta.with_name(f"{ruta.name}.{k + 1}"))
    shutil.copyfile(ruta, ruta.with_name(f"{ruta.name}.1"))
    with open(ruta, "r+b") as archivo:
        archivo.truncate(0)
    return True
