"""Dónde queda lo embebido (Kafka, PostgreSQL y SMTP en loopback, y la carpeta de datos), según el entorno."""

import os
from pathlib import Path

HOST = "127.0.0.1"
RAIZ = Path(__file__).resolve().parents[1]
PUERTOS = {"kafka": ("ALVA_KAFKA_PUERTO", 19092), "controlador": ("ALVA_KAFKA_PUERTO_CONTROLADOR", 19093),
           "postgres": ("ALVA_PG_PUERTO", 15432), "smtp": ("ALVA_SMTP_PUERTO", 10025)}


class PuertoInvalido(ValueError):
    """Una variable ALVA_*_PUERTO no es un número de puerto."""


def puerto(nombre: str) -> int:
    variable, defecto = PUERTOS[nombre]
    valor = os.environ.get(variable) or str(defecto)
    if not valor.isdigit() or not 0 < int(valor) < 65536:
        raise PuertoInvalido(f"{variable}={valor!r} is not a TCP port number (1-65535)")
    return int(valor)


def carpeta_datos() -> Path:
    """ALVA_DATOS, o `.alva/` junto al proyecto (en una copia del repositorio) o en la carpeta de trabajo."""
    if valor := os.environ.get("ALVA_DATOS"):
        return Path(valor).expanduser().absolute()
    base = RAIZ if (RAIZ / "pyproject.toml").exists() else Path.cwd()
    return (base / ".alva").absolute()


def puertos() -> dict[str, int]:
    return {nombre: puerto(nombre) for nombre in PUERTOS}


def escribir_secreto(ruta: Path, contenido: bytes | str) -> None:
    """Escribe un archivo legible sólo por su dueño (0600), sin que exista un instante con otros permisos."""
    ruta.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    datos = contenido.encode() if isinstance(contenido, str) else contenido
    temporal = ruta.with_name(f".{ruta.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporal, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as archivo:
        archivo.write(datos)
    os.chmod(temporal, 0o600)
    temporal.replace(ruta)


def kafka() -> str:
    return f"{HOST}:{puerto('kafka')}"


def postgres_dsn() -> str:
    return f"postgresql://alva@{HOST}:{puerto('postgres')}/alva"
