"""Persistencia de destinatarios y entregas en PostgreSQL (esquema `notificaciones`)."""

import asyncpg

from esquemas.comun import Contacto


class PostgresNotificaciones:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def guardar_contactos(self, institucion: str, contactos: list[Contacto]) -> None:
        await self.conn.executemany(
            """INSERT INTO contactos VALUES ($1, $2, $3, $4)
               ON CONFLICT (institucion, email) DO UPDATE SET nombre = $3, rol = $4""",
            [(institucion, c.email, c.nombre, c.rol) for c in contactos],
        )

    async def correos(self, institucion: str) -> list[str]:
        return [f["email"] for f in await self.conn.fetch(
            "SELECT email FROM contactos WHERE institucion = $1 ORDER BY email", institucion)]

    async def crear_entregas(self, filas: list[tuple]) -> None:
        await self.conn.executemany(
            """INSERT INTO entregas (notificacion_id, evento_id, evento_tipo, institucion, canal, destinatario,
                                     asunto, texto, html, causa, adjuntos)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING""",
            filas,
        )
        await self.conn.execute("SELECT pg_notify('entregas_notificaciones', '')")

    async def tomar_pendientes(self, cuantas: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT * FROM entregas WHERE estado = 'pendiente' AND proximo_intento <= now()
               ORDER BY proximo_intento LIMIT $1 FOR UPDATE SKIP LOCKED""", cuantas)

    async def marcar(self, notificacion_id: str, estado: str, error: str | None = None,
                     reintento_en_s: float | None = None) -> None:
        await self.conn.execute(
            """UPDATE entregas SET estado = $2, intentos = intentos + 1, ultimo_error = $3,
                      enviada_en = CASE WHEN $2 = 'enviada' THEN now() END,
                      proximo_intento = now() + make_interval(secs => coalesce($4, 0))
               WHERE notificacion_id = $1""",
            notificacion_id, estado, error, reintento_en_s,
        )
