"""Persistencia de capacitación en PostgreSQL (esquema `capacitacion`)."""

import json

import asyncpg

from servicios.capacitacion.dominio import ConvenioConocido


class PostgresCapacitacion:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def conocer_convenio(self, c: ConvenioConocido) -> None:
        await self.conn.execute(
            """INSERT INTO convenios VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (convenio_id) DO UPDATE SET vigencia_inicio = $3, vigencia_fin = $4""",
            c.convenio_id, c.institucion, c.vigencia_inicio, c.vigencia_fin, c.estado,
        )

    async def convenio(self, convenio_id: str) -> ConvenioConocido | None:
        fila = await self.conn.fetchrow("SELECT * FROM convenios WHERE convenio_id = $1", convenio_id)
        return ConvenioConocido(**dict(fila)) if fila else None

    async def huella_de_sesion(self, institucion: str, sesion_id: str) -> str | None:
        return await self.conn.fetchval(
            "SELECT huella FROM sesiones WHERE institucion = $1 AND sesion_id = $2", institucion, sesion_id)

    async def guardar_sesion(self, institucion: str, sesion_id: str, convenio_id: str, estado: str, huella: str,
                             contenido: dict, constancias: list[tuple[str, str]]) -> None:
        await self.conn.execute(
            "INSERT INTO sesiones VALUES ($1, $2, $3, $4, $5, $6)",
            institucion, sesion_id, convenio_id, estado, huella, json.dumps(contenido),
        )
        await self.conn.executemany(
            "INSERT INTO constancias VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [(cid, institucion, sesion_id, asistente) for cid, asistente in constancias],
        )

    async def apartar(self, convenio_id: str, evento_json: str, topico: str, particion: int, offset: int) -> None:
        await self.conn.execute(
            'INSERT INTO pendientes (convenio_id, evento, topico, particion, "offset") VALUES ($1, $2, $3, $4, $5)',
            convenio_id, evento_json, topico, particion, offset,
        )

    async def sacar_pendientes(self, convenio_id: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            'DELETE FROM pendientes WHERE convenio_id = $1 RETURNING evento, topico, particion, "offset"', convenio_id)
