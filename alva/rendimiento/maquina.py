"""La máquina en que se midió: núcleos, CPU, memoria y versiones de Python, Kafka (y su Java) y PostgreSQL."""

import os
import platform
import re
from pathlib import Path

from alva.rendimiento import conexion


def _de_proc(archivo: str, patron: str) -> str | None:
    try:
        encontrado = re.search(patron, Path(archivo).read_text(), re.M)
    except OSError:
        return None
    return encontrado.group(1).strip() if encontrado else None


def version_kafka() -> str | None:
    """La del Kafka embebido; con un broker propio (KAFKA_BOOTSTRAP_SERVERS) no se sabe desde aquí."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return None
    try:
        from infra.kafka import VERSION_KAFKA
    except ImportError:
        return None
    return VERSION_KAFKA


def java_kafka() -> str | None:
    """La versión del Java en que corre el Kafka embebido (ALVA_JAVA o el del PATH)."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return None
    try:
        from infra.comun import ErrorEntorno
        from infra.kafka import java_de_kafka, version_java
    except ImportError:
        return None
    try:
        return version_java(java_de_kafka())
    except ErrorEntorno:  # sin java, o un ALVA_JAVA que no existe: el arranque ya lo dijo
        return None


async def describir() -> dict:
    conn = await conexion.postgres()
    try:
        postgres = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    memoria_kb = _de_proc("/proc/meminfo", r"^MemTotal:\s+(\d+)")
    return {
        "nucleos": os.cpu_count(),
        "cpu": _de_proc("/proc/cpuinfo", r"^model name\s*:\s*(.+)$") or platform.processor() or None,
        "ram_gb": round(int(memoria_kb) / 1024 / 1024, 1) if memoria_kb else None,
        "sistema": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "kafka": version_kafka(),
        "java_kafka": java_kafka(),
        "postgres": postgres.split()[0],
        "bootstrap": conexion.kafka()["bootstrap_servers"],
    }


def resumir(m: dict) -> str:
    return (f"Máquina: {m['nucleos']} núcleos ({m['cpu']}), {m['ram_gb']} GB de RAM, {m['sistema']}; "
            f"Python {m['python']}, Kafka {m['kafka'] or 'desconocido'}"
            f"{' (Java ' + m['java_kafka'] + ')' if m.get('java_kafka') else ''}, PostgreSQL {m['postgres']}")
