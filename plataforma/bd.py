"""PostgreSQL: un pool por servicio, cada uno en su propio esquema, y migraciones SQL numeradas."""

import logging
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

SQL_COMUN = Path(__file__).parent / "sql"


async def crear_pool(dsn: str, esquema: str, *, maximo: int = 10) -> asyncpg.Pool:
    """Cada conexión trabaja en el esquema del servicio; ninguna ve las tablas de otro.

    El `search_path` va en el arranque de la conexión: así sobrevive al `RESET ALL` con que el pool la devuelve.
    """
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(esquema)}")
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=maximo, server_settings={"search_path": esquema})
    for aviso in await avisos_de_durabilidad(pool):
        log.warning("%s: %s", esquema, aviso)
    return pool


async def avisos_de_durabilidad(pool: asyncpg.Pool) -> list[str]:
    """Lo que haría perder en una caída lo ya confirmado: `fsync` o `synchronous_commit` apagados."""
    async with pool.acquire() as conn:
        ajustes = {n: await conn.fetchval(f"SHOW {n}") for n in ("fsync", "synchronous_commit")}
    return [f"PostgreSQL corre con {n}={v}: una caída perdería transacciones ya confirmadas (y con ellas reportes "
            f"ya reconocidos). Enciéndalo (ALVA exige {n}=on)." for n, v in ajustes.items() if v == "off"]


async def migrar(pool: asyncpg.Pool, esquema: str, carpeta_servicio: Path) -> list[str]:
    """Aplica, en orden y una sola vez, las migraciones comunes y luego las del servicio."""
    archivos = [("plataforma", f) for f in sorted(SQL_COMUN.glob("*.sql"))]
    archivos += [("servicio", f) for f in sorted(carpeta_servicio.glob("*.sql"))]
    aplicadas = []
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"migraciones:{esquema}")
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS migraciones (nombre text PRIMARY KEY, aplicada_en timestamptz NOT NULL DEFAULT now())"
        )
        hechas = {r["nombre"] for r in await conn.fetch("SELECT nombre FROM migraciones")}
        for origen, archivo in archivos:
            nombre = f"{origen}/{archivo.name}"
            if nombre in hechas:
                continue
            await conn.execute(archivo.read_text(encoding="utf-8"))
            await conn.execute("INSERT INTO migraciones (nombre) VALUES ($1)", nombre)
            aplicadas.append(nombre)
    if aplicadas:
        log.info("esquema %s: migraciones aplicadas %s", esquema, aplicadas)
    return aplicadas


def _ident(nombre: str) -> str:
    if not nombre.replace("_", "").isalnum():
        raise ValueError(f"nombre de esquema no válido: {nombre!r}")
    return f'"{nombre}"'
