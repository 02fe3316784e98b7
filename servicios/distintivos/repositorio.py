"""Persistencia del evaluador en PostgreSQL (esquema `distintivos`)."""

import json
from datetime import date

import asyncpg

from esquemas.convenios import ConvenioFirmado
from servicios.distintivos.dominio import Evaluacion, ObjetivoVisto


class PostgresDistintivos:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def conocer_convenio(self, c: ConvenioFirmado) -> bool:
        nuevo = await self.conn.fetchval(
            """INSERT INTO convenios VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true""",
            c.convenio_id, c.programa, c.otorgante, c.institucion.id, c.institucion.nombre,
            c.vigencia.inicio, c.vigencia.fin,
        )
        if nuevo:
            await self.conn.executemany(
                "INSERT INTO objetivos (convenio_id, objetivo_id, descripcion, indicador, meta) VALUES ($1, $2, $3, $4, $5)",
                [(c.convenio_id, o.objetivo_id, o.descripcion, o.indicador.value, o.meta) for o in c.objetivos],
            )
        return bool(nuevo)

    async def convenio(self, convenio_id: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM convenios WHERE convenio_id = $1 FOR UPDATE", convenio_id)

    async def marcar_cumplido(self, convenio_id: str, objetivo_id: str, valor: float, fecha: date) -> None:
        await self.conn.execute(
            """UPDATE objetivos SET valor = $3, cumplido_en = coalesce(cumplido_en, $4)
               WHERE convenio_id = $1 AND objetivo_id = $2""",
            convenio_id, objetivo_id, valor, fecha,
        )

    async def objetivos(self, convenio_id: str) -> list[ObjetivoVisto]:
        filas = await self.conn.fetch(
            """SELECT objetivo_id, descripcion, indicador, meta, valor, cumplido_en FROM objetivos
               WHERE convenio_id = $1 ORDER BY objetivo_id""", convenio_id)
        return [ObjetivoVisto(**dict(f)) for f in filas]

    async def cambiar_evaluacion(self, convenio_id: str, e: Evaluacion) -> bool:
        """Guarda la evaluación; verdadero si cambió respecto de la última publicada."""
        return await self.conn.fetchval(
            """INSERT INTO evaluaciones VALUES ($1, $2, $3)
               ON CONFLICT (convenio_id) DO UPDATE SET cumplidos = $2, faltantes = $3
               WHERE evaluaciones.cumplidos <> $2 OR evaluaciones.faltantes <> $3
               RETURNING true""",
            convenio_id, json.dumps(e.cumplidos), json.dumps(e.faltantes),
        ) is not None

    async def registrar_distintivo(self, distintivo_id: str, programa: str, convenio_id: str, periodo: str,
                                   institucion: str, fecha: date, inicio: date, fin: date) -> bool:
        """Falso si ya había uno para ese convenio y periodo (aunque lo intente otra instancia a la vez)."""
        return await self.conn.fetchval(
            """INSERT INTO distintivos (distintivo_id, programa, convenio_id, periodo, institucion, fecha,
                                        vigencia_inicio, vigencia_fin)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING true""",
            distintivo_id, programa, convenio_id, periodo, institucion, fecha, inicio, fin,
        ) is not None
