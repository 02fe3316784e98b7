"""Persistencia de destinatarios, distintivos vigentes y entregas en PostgreSQL (esquema `notificaciones`)."""

import json
from datetime import date

import asyncpg

from esquemas.comun import Contacto as ContactoEsquema
from servicios.notificaciones.destinatarios import Contacto


class PostgresNotificaciones:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def guardar_contactos(self, institucion: str, convenio_id: str, contactos: list[ContactoEsquema]) -> None:
        await self.conn.executemany(
            """INSERT INTO contactos (institucion, convenio_id, email, nombre, rol, avisos)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (institucion, convenio_id, email) DO UPDATE SET nombre = $4, rol = $5, avisos = $6""",
            [(institucion, convenio_id, c.email, c.nombre, c.rol,
              json.dumps(c.avisos) if c.avisos is not None else None) for c in contactos])

    async def contactos(self, institucion: str, convenio_id: str | None = None) -> list[Contacto]:
        """Los del convenio; si no es de un convenio (o éste no nombra a nadie), los del más reciente."""
        filas = await self.conn.fetch(
            """WITH elegido AS (SELECT convenio_id FROM contactos WHERE institucion = $1
                                ORDER BY (convenio_id = $2) DESC NULLS LAST, registrado_en DESC LIMIT 1)
               SELECT email, rol, avisos FROM contactos
               WHERE institucion = $1 AND convenio_id = (SELECT convenio_id FROM elegido) ORDER BY email""",
            institucion, convenio_id)
        return [Contacto(f["email"], f["rol"], tuple(json.loads(f["avisos"])) if f["avisos"] else None) for f in filas]

    async def crear_entregas(self, filas: list[tuple]) -> None:
        await self.conn.executemany(
            """INSERT INTO entregas (notificacion_id, evento_id, evento_tipo, aviso, institucion, canal, destinatario,
                                     asunto, texto, html, causa, adjuntos)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING""", filas)
        await self.conn.execute("SELECT pg_notify('entregas_notificaciones', '')")

    # Distintivos vigentes, para los avisos por vencer
    async def seguir_distintivo(self, distintivo_id: str, institucion: str, fin: date, otorgado: str) -> None:
        await self.conn.execute(
            "INSERT INTO distintivos VALUES ($1, $2, $3, 'vigente', $4) ON CONFLICT DO NOTHING",
            distintivo_id, institucion, fin, otorgado)

    async def cerrar_distintivo(self, distintivo_id: str, estado: str) -> None:
        await self.conn.execute("UPDATE distintivos SET estado = $2 WHERE distintivo_id = $1", distintivo_id, estado)

    async def por_vencer(self, hoy: date, dias: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT * FROM distintivos WHERE estado = 'vigente' AND vigencia_fin - $1 BETWEEN 0 AND $2""", hoy, dias)

    # Entregas
    async def tomar(self, cuantas: int, plazo_s: float) -> list[asyncpg.Record]:
        """Entregas listas (pendientes a su hora, o en curso cuyo dueño murió), ya a nombre de quien las toma."""
        return await self.conn.fetch(
            """UPDATE entregas SET estado = 'en_curso', tomada_hasta = now() + make_interval(secs => $2)
               WHERE notificacion_id IN (
                 SELECT notificacion_id FROM entregas
                 WHERE (estado = 'pendiente' AND proximo_intento <= now())
                    OR (estado = 'en_curso' AND tomada_hasta < now())
                 ORDER BY proximo_intento LIMIT $1 FOR UPDATE SKIP LOCKED)
               RETURNING *""", cuantas, plazo_s)

    async def registrar(self, notificacion_id: str, tomada_hasta, estado: str, error: str | None = None,
                        reintento_en_s: float = 0) -> bool:
        """Resultado de un intento; falso si ya no era nuestra (se nos venció el plazo y otro la tomó)."""
        return await self.conn.fetchval(
            """UPDATE entregas SET estado = $2, intentos = intentos + 1, ultimo_error = $3, tomada_hasta = NULL,
                      enviada_en = CASE WHEN $2 = 'enviada' THEN now() END,
                      proximo_intento = now() + make_interval(secs => $4)
               WHERE notificacion_id = $1 AND estado = 'en_curso' AND tomada_hasta = $5 RETURNING true""",
            notificacion_id, estado, error, reintento_en_s, tomada_hasta) is not None
