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


def kafka_embebido() -> tuple[str | None, str | None]:
    """La versión del Kafka embebido y la del Java en que corre (ALVA_JAVA o el del PATH); con un broker propio
    (KAFKA_BOOTSTRAP_SERVERS) no se saben desde aquí."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return None, None
    try:
        from infra.comun import ErrorEntorno
        from infra.kafka import VERSION_KAFKA, java_de_kafka, version_java
    except ImportError:
        return None, None
    try:
        return VERSION_KAFKA, version_java(java_de_kafka())
    except ErrorEntorno:  # sin java, o un ALVA_JAVA que no existe: el arranque ya lo dijo
        return VERSION_KAFKA, None


async def describir() -> dict:
    conn = await conexion.postgres()
    try:
        postgres = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    memoria_kb = _de_proc("/proc/meminfo", r"^MemTotal:\s+(\d+)")
    kafka, java = kafka_embebido()
    return {
        "nucleos": os.cpu_count(),
        "cpu": _de_proc("/proc/cpuinfo", r"^model name\s*:\s*(.+)$") or platform.processor() or None,
        "ram_gb": round(int(memoria_kb) / 1024 / 1024, 1) if memoria_kb else None,
        "sistema": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "kafka": kafka,
        "java_kafka": java,
        "postgres": postgres.split()[0],
        "bootstrap": conexion.kafka()["bootstrap_servers"],
    }


def resumir(m: dict) -> str:
    return (f"Máquina: {m['nucleos']} núcleos ({m['cpu']}), {m['ram_gb']} GB de RAM, {m['sistema']}; "
            f"Python {m['python']}, Kafka {m['kafka'] or 'desconocido'}"
            f"{' (Java ' + m['java_kafka'] + ')' if m.get('java_kafka') else ''}, PostgreSQL {m['postgres']}")
