"""Persistencia de convenios, objetivos, hechos y evidencias en PostgreSQL (SQL explícito, esquema `convenios`)."""

import json
from datetime import date

import asyncpg

from servicios.convenios.dominio import Objetivo, Unidad


class PostgresConvenios:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    # Convenios
    async def convenio(self, convenio_id: str) -> asyncpg.Record | None:
        """El convenio, bloqueado hasta el fin de la transacción: sus cambios se aplican de uno en uno."""
        return await self.conn.fetchrow("SELECT * FROM convenios WHERE convenio_id = $1 FOR UPDATE", convenio_id)

    async def guardar(self, convenio: dict) -> None:
        await self.conn.execute(
            """INSERT INTO convenios (convenio_id, programa, otorgante, institucion, vigencia_inicio, vigencia_fin, contenido)
               VALUES ($1, $2, $3, $4, $5::text::date, $6::text::date, $7)""",
            convenio["convenio_id"], convenio["programa"], convenio["otorgante"], convenio["institucion"]["id"],
            convenio["vigencia"]["inicio"], convenio["vigencia"]["fin"], json.dumps(convenio),
        )
        await self.guardar_version(convenio["convenio_id"], 1, convenio["objetivos"], "Convenio firmado")

    async def guardar_version(self, convenio_id: str, version: int, objetivos: list[dict], motivo: str) -> None:
        await self.conn.execute("INSERT INTO versiones VALUES ($1, $2, $3, $4)",
                                convenio_id, version, json.dumps(objetivos), motivo)
        await self.conn.execute("UPDATE convenios SET version = $2 WHERE convenio_id = $1", convenio_id, version)

    async def cambiar_estado(self, convenio_id: str, estado: str) -> None:
        await self.conn.execute("UPDATE convenios SET estado = $2 WHERE convenio_id = $1", convenio_id, estado)

    async def vencer(self, hoy: date) -> list[asyncpg.Record]:
        """Los convenios vigentes cuya vigencia terminó antes de hoy pasan a vencidos."""
        return await self.conn.fetch(
            """UPDATE convenios SET estado = 'vencido' WHERE estado = 'vigente' AND vigencia_fin < $1
               RETURNING convenio_id, institucion, vigencia_fin""", hoy)

    # Objetivos
    async def objetivos(self, convenio_id: str) -> list[Objetivo]:
        filas = await self.conn.fetch(
            """SELECT objetivo_id, indicador, meta, tema, modalidad, valor, cumplido, descripcion
               FROM objetivos WHERE convenio_id = $1 ORDER BY objetivo_id""", convenio_id)
        return [Objetivo(**dict(f)) for f in filas]

    async def agregar_objetivos(self, convenio_id: str, objetivos: list[dict]) -> None:
        await self.conn.executemany(
            """INSERT INTO objetivos (convenio_id, objetivo_id, indicador, meta, tema, modalidad, descripcion)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            [(convenio_id, o["objetivo_id"], o["indicador"], o["meta"], o.get("tema"), o.get("modalidad"),
              o["descripcion"]) for o in objetivos],
        )

    async def quitar_objetivos(self, convenio_id: str, objetivo_ids: list[str]) -> None:
        await self.conn.execute("DELETE FROM unidades WHERE convenio_id = $1 AND objetivo_id = ANY($2)",
                                convenio_id, objetivo_ids)
        await self.conn.execute("DELETE FROM objetivos WHERE convenio_id = $1 AND objetivo_id = ANY($2)",
                                convenio_id, objetivo_ids)

    async def actualizar_objetivo(self, convenio_id: str, objetivo_id: str, valor: float, cumplido: bool,
                                  cumplido_en: date | None) -> None:
        await self.conn.execute(
            """UPDATE objetivos SET valor = $3, cumplido = $4, cumplido_en = coalesce(cumplido_en, $5)
               WHERE convenio_id = $1 AND objetivo_id = $2""",
            convenio_id, objetivo_id, valor, cumplido, cumplido_en)

    # Hechos y unidades
    async def huella_de_hecho(self, convenio_id: str, origen: str) -> str | None:
        return await self.conn.fetchval("SELECT huella FROM hechos WHERE convenio_id = $1 AND origen = $2",
                                        convenio_id, origen)

    async def guardar_hecho(self, convenio_id: str, origen: str, clase: str, contenido: dict, huella: str) -> None:
        await self.conn.execute(
            """INSERT INTO hechos VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (convenio_id, origen) DO UPDATE SET contenido = $4, huella = $5""",
            convenio_id, origen, clase, json.dumps(contenido, default=str), huella)

    async def borrar_hecho(self, convenio_id: str, origen: str) -> bool:
        return await self.conn.fetchval(
            "DELETE FROM hechos WHERE convenio_id = $1 AND origen = $2 RETURNING true", convenio_id, origen) is not None

    async def hechos(self, convenio_id: str) -> list[tuple[str, dict]]:
        filas = await self.conn.fetch("SELECT clase, contenido FROM hechos WHERE convenio_id = $1 ORDER BY origen",
                                      convenio_id)
        return [(f["clase"], json.loads(f["contenido"])) for f in filas]

    async def reemplazar_unidades(self, convenio_id: str, objetivo_id: str, origen: str,
                                  unidades: list[Unidad]) -> float:
        """Lo que aporta `origen` al objetivo pasa a ser `unidades`; devuelve el valor nuevo del objetivo."""
        await self.conn.execute("DELETE FROM unidades WHERE convenio_id = $1 AND objetivo_id = $2 AND origen = $3",
                                convenio_id, objetivo_id, origen)
        await self.conn.executemany(
            "INSERT INTO unidades VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            [(convenio_id, objetivo_id, origen, u, c) for u, c in unidades])
        return await self.conn.fetchval(
            """SELECT coalesce(sum(c), 0) FROM (
                 SELECT max(cantidad) AS c FROM unidades
                 WHERE convenio_id = $1 AND objetivo_id = $2 GROUP BY unidad) AS distintas""",
            convenio_id, objetivo_id)

    # Evidencias
    async def evidencia(self, convenio_id: str, evidencia_id: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT * FROM evidencias WHERE convenio_id = $1 AND evidencia_id = $2 FOR UPDATE", convenio_id, evidencia_id)

    async def guardar_evidencia(self, convenio_id: str, evidencia_id: str, objetivo_id: str, descripcion: str,
                                documento: str, huella: str) -> None:
        await self.conn.execute(
            """INSERT INTO evidencias (convenio_id, evidencia_id, objetivo_id, descripcion, documento, huella)
               VALUES ($1, $2, $3, $4, $5, $6)""", convenio_id, evidencia_id, objetivo_id, descripcion, documento, huella)

    async def dictaminar(self, convenio_id: str, evidencia_id: str, estado: str, motivo: str | None) -> None:
        await self.conn.execute("UPDATE evidencias SET estado = $3, motivo = $4 WHERE convenio_id = $1 AND evidencia_id = $2",
                                convenio_id, evidencia_id, estado, motivo)
