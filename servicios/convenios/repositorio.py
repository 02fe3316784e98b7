"""Persistencia de convenios y objetivos en PostgreSQL (SQL explícito, esquema `convenios`)."""

import json
from typing import Protocol

import asyncpg

from servicios.convenios.dominio import Objetivo, Unidad


class RepositorioConvenios(Protocol):
    async def contenido(self, convenio_id: str) -> dict | None: ...
    async def guardar(self, convenio: dict) -> None: ...
    async def objetivos(self, convenio_id: str) -> list[Objetivo]: ...
    async def sumar_unidades(self, convenio_id: str, objetivo_id: str, origen: str, unidades: list[Unidad]) -> float: ...
    async def actualizar_objetivo(self, convenio_id: str, objetivo: Objetivo) -> None: ...


class PostgresConvenios:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def contenido(self, convenio_id: str) -> dict | None:
        fila = await self.conn.fetchval("SELECT contenido FROM convenios WHERE convenio_id = $1", convenio_id)
        return json.loads(fila) if fila else None

    async def guardar(self, convenio: dict) -> None:
        await self.conn.execute(
            """INSERT INTO convenios (convenio_id, programa, otorgante, institucion, vigencia_inicio, vigencia_fin, contenido)
               VALUES ($1, $2, $3, $4, $5::text::date, $6::text::date, $7)""",
            convenio["convenio_id"], convenio["programa"], convenio["otorgante"], convenio["institucion"]["id"],
            convenio["vigencia"]["inicio"], convenio["vigencia"]["fin"], json.dumps(convenio),
        )
        await self.conn.executemany(
            """INSERT INTO objetivos (convenio_id, objetivo_id, indicador, meta, tema, modalidad)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            [(convenio["convenio_id"], o["objetivo_id"], o["indicador"], o["meta"], o.get("tema"), o.get("modalidad"))
             for o in convenio["objetivos"]],
        )

    async def objetivos(self, convenio_id: str) -> list[Objetivo]:
        filas = await self.conn.fetch(
            """SELECT objetivo_id, indicador, meta, tema, modalidad, valor, cumplido_en IS NOT NULL AS cumplido
               FROM objetivos WHERE convenio_id = $1 ORDER BY objetivo_id FOR UPDATE""",
            convenio_id,
        )
        return [Objetivo(**dict(f)) for f in filas]

    async def sumar_unidades(self, convenio_id: str, objetivo_id: str, origen: str, unidades: list[Unidad]) -> float:
        """Registra lo que aporta un origen y devuelve el valor nuevo del objetivo."""
        await self.conn.executemany(
            "INSERT INTO unidades VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            [(convenio_id, objetivo_id, origen, u, c) for u, c in unidades],
        )
        return await self.conn.fetchval(
            """SELECT coalesce(sum(c), 0) FROM (
                 SELECT max(cantidad) AS c FROM unidades
                 WHERE convenio_id = $1 AND objetivo_id = $2 GROUP BY unidad) AS distintas""",
            convenio_id, objetivo_id,
        )

    async def actualizar_objetivo(self, convenio_id: str, objetivo: Objetivo, cumplido_en=None) -> None:
        await self.conn.execute(
            """UPDATE objetivos SET valor = $3, cumplido_en = coalesce(cumplido_en, $4)
               WHERE convenio_id = $1 AND objetivo_id = $2""",
            convenio_id, objetivo.objetivo_id, objetivo.valor, cumplido_en,
        )
