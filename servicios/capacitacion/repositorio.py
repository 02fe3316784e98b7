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

    async def cambiar_estado_convenio(self, convenio_id: str, estado: str) -> None:
        await self.conn.execute("UPDATE convenios SET estado = $2 WHERE convenio_id = $1", convenio_id, estado)

    async def convenio(self, convenio_id: str) -> ConvenioConocido | None:
        fila = await self.conn.fetchrow("SELECT * FROM convenios WHERE convenio_id = $1", convenio_id)
        return ConvenioConocido(**dict(fila)) if fila else None

    async def sesion(self, institucion: str, sesion_id: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT * FROM sesiones WHERE institucion = $1 AND sesion_id = $2 FOR UPDATE", institucion, sesion_id)

    async def guardar_sesion(self, institucion: str, sesion_id: str, convenio_id: str, estado: str, huella: str,
                             contenido: dict, version: int = 1) -> None:
        await self.conn.execute(
            """INSERT INTO sesiones (institucion, sesion_id, convenio_id, estado, huella, contenido, version)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (institucion, sesion_id)
               DO UPDATE SET estado = $4, huella = $5, contenido = $6, version = $7""",
            institucion, sesion_id, convenio_id, estado, huella, json.dumps(contenido), version,
        )

    async def cancelar_sesion(self, institucion: str, sesion_id: str) -> None:
        await self.conn.execute("UPDATE sesiones SET estado = 'cancelada' WHERE institucion = $1 AND sesion_id = $2",
                                institucion, sesion_id)

    async def constancias_nuevas(self, institucion: str, sesion_id: str, constancias: list[tuple[str, str]]) -> set[str]:
        """Registra las constancias y devuelve los ids de las que no existían."""
        filas = await self.conn.fetch(
            """INSERT INTO constancias
               SELECT c.id, $1, $2, c.asistente FROM unnest($3::text[], $4::text[]) AS c(id, asistente)
               ON CONFLICT DO NOTHING RETURNING constancia_id""",
            institucion, sesion_id, [c for c, _ in constancias], [a for _, a in constancias],
        )
        return {f["constancia_id"] for f in filas}
