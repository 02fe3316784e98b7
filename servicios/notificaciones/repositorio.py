"""Persistencia de destinatarios, distintivos vigentes, rechazos por resumir y entregas: el puerto, su versión en
memoria y la de PostgreSQL (esquema `notificaciones`)."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

import asyncpg

from plataforma.repositorio import Columnas, EnPostgres, Necesidades, Repositorio
from servicios.notificaciones.destinatarios import Contacto


@dataclass(frozen=True)
class ContactoGuardado:
    institucion: str
    convenio_id: str
    email: str
    nombre: str
    rol: str
    avisos: list | None
    registrado_en: datetime

    def contacto(self) -> Contacto:
        return Contacto(self.email, self.rol, tuple(self.avisos) if self.avisos is not None else None)


@dataclass(frozen=True)
class Entrega:
    """Una por evento, canal y destinatario: la llave única impide el doble envío."""

    notificacion_id: str
    evento_id: str
    evento_tipo: str
    aviso: str
    institucion: str
    canal: str
    destinatario: str
    asunto: str
    texto: str
    html: str
    causa: dict
    adjuntos: list
    creada_en: datetime


@dataclass(frozen=True)
class DistintivoSeguido:
    """Un distintivo vigente, para avisar antes de que venza sin que nadie envíe nada."""

    distintivo_id: str
    institucion: str
    vigencia_fin: date
    estado: str
    otorgado: dict


@dataclass(frozen=True)
class RechazoPorResumir:
    """Un rechazo de un reporte de una institución, esperando al resumen del periodo."""

    evento_id: str
    institucion: str
    datos: dict
    causa: dict
    recibido: datetime


CONTACTOS = Columnas("contactos", ContactoGuardado, ("institucion", "convenio_id", "email"),
                     {"institucion": "text", "convenio_id": "text", "email": "text", "nombre": "text", "rol": "text",
                      "avisos": "json", "registrado_en": "timestamptz"}, grupo=1)
ENTREGAS = Columnas("entregas", Entrega, ("notificacion_id",),
                    {"notificacion_id": "text", "evento_id": "text", "evento_tipo": "text", "aviso": "text",
                     "institucion": "text", "canal": "text", "destinatario": "text", "asunto": "text", "texto": "text",
                     "html": "text", "causa": "json", "adjuntos": "json", "creada_en": "timestamptz"},
                    solo_insertar=True)
DISTINTIVOS = Columnas("distintivos", DistintivoSeguido, ("distintivo_id",),
                       {"distintivo_id": "text", "institucion": "text", "vigencia_fin": "date", "estado": "text",
                        "otorgado": "json"})
RECHAZOS = Columnas("rechazos_por_resumir", RechazoPorResumir, ("evento_id",),
                    {"evento_id": "text", "institucion": "text", "datos": "json", "causa": "json",
                     "recibido": "timestamptz"}, solo_insertar=True)


class RepositorioNotificaciones(Protocol):
    async def cargar(self, necesidades: Necesidades) -> None: ...
    async def confirmar(self) -> None: ...
    def contactos(self, institucion: str, convenio_id: str | None = None) -> list[Contacto]: ...
    def distintivo(self, distintivo_id: str) -> DistintivoSeguido | None: ...
    def guardar(self, fila) -> None: ...
    async def por_vencer(self, hoy: date, dias: int) -> list[DistintivoSeguido]: ...
    async def rechazos_por_resumir(self, antes_de: datetime) -> dict[str, list[RechazoPorResumir]]: ...


def necesita(institucion: str, distintivo_id: str | None = None) -> Necesidades:
    salida: Necesidades = {"contactos": {(institucion,)}}
    if distintivo_id is not None:
        salida["distintivos"] = {(distintivo_id,)}
    return salida


class EnMemoriaNotificaciones(Repositorio):
    COLUMNAS = (CONTACTOS, ENTREGAS, DISTINTIVOS, RECHAZOS)

    def contactos(self, institucion: str, convenio_id: str | None = None) -> list[Contacto]:
        """Los del convenio; si no es de un convenio (o éste no nombra a nadie), los del más reciente."""
        todos = self.tablas["contactos"].de_grupo(institucion)
        del_convenio = [c for c in todos if c.convenio_id == convenio_id]
        if not del_convenio and todos:
            ultimo = max(todos, key=lambda c: (c.registrado_en, c.convenio_id)).convenio_id
            del_convenio = [c for c in todos if c.convenio_id == ultimo]
        return [c.contacto() for c in sorted(del_convenio, key=lambda c: c.email)]

    def distintivo(self, distintivo_id: str) -> DistintivoSeguido | None:
        return self.tablas["distintivos"].leer((distintivo_id,))

    async def por_vencer(self, hoy: date, dias: int) -> list[DistintivoSeguido]:
        """Los vigentes que vencen de hoy a `dias` días, en orden de id."""
        return sorted((d for d in self.tablas["distintivos"] if d.estado == "vigente"
                       and 0 <= (d.vigencia_fin - hoy).days <= dias), key=lambda d: d.distintivo_id)

    async def rechazos_por_resumir(self, antes_de: datetime) -> dict[str, list[RechazoPorResumir]]:
        tabla = self.tablas["rechazos_por_resumir"]
        listas = {}
        for r in sorted(tabla, key=lambda r: (r.recibido, r.evento_id)):
            listas.setdefault(r.institucion, []).append(r)
        elegidas = {i: rs for i, rs in listas.items() if rs[0].recibido <= antes_de}
        for rs in elegidas.values():
            for r in rs:
                tabla.quitar((r.evento_id,))
        return elegidas


class PostgresNotificaciones(EnPostgres, EnMemoriaNotificaciones):
    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)

    async def confirmar(self) -> None:
        hay_entregas = bool(self.tablas["entregas"].cambiadas)
        await super().confirmar()
        if hay_entregas:
            await self.conn.execute("SELECT pg_notify('entregas_notificaciones', '')")

    async def por_vencer(self, hoy: date, dias: int) -> list[DistintivoSeguido]:
        filas = await self.conn.fetch(
            """SELECT distintivo_id, institucion, vigencia_fin, estado, otorgado::text AS otorgado FROM distintivos
               WHERE estado = 'vigente' AND vigencia_fin - $1 BETWEEN 0 AND $2
               ORDER BY distintivo_id COLLATE "C" """, hoy, dias)
        return [DISTINTIVOS.de_base(f) for f in filas]

    async def rechazos_por_resumir(self, antes_de: datetime) -> dict[str, list[RechazoPorResumir]]:
        """Por institución, todo lo pendiente de las que tienen algo esperando desde antes de `antes_de`; se saca."""
        filas = await self.conn.fetch(
            """DELETE FROM rechazos_por_resumir WHERE institucion IN (
                 SELECT institucion FROM rechazos_por_resumir GROUP BY institucion HAVING min(recibido) <= $1)
               RETURNING evento_id, institucion, datos::text AS datos, causa::text AS causa, recibido""", antes_de)
        listas: dict[str, list[RechazoPorResumir]] = {}
        for f in sorted(filas, key=lambda f: (f["recibido"], f["evento_id"])):
            listas.setdefault(f["institucion"], []).append(RECHAZOS.de_base(f))
        return listas

    # Entregas: las toma y registra el envío, fuera de los lotes.
    async def tomar(self, cuantas: int, plazo_s: float) -> list[asyncpg.Record]:
        """Entregas listas (pendientes a su hora, o en curso cuyo dueño murió), ya a nombre de quien las toma. Cada
        clase se lee por su índice parcial, en orden y sólo hasta `cuantas` (con una sola condición `OR`, PostgreSQL
        leía y ordenaba todo lo que esperaba en cada toma: con un atraso de miles, miles de filas por cada 20)."""
        return await self.conn.fetch(
            """WITH pendientes AS (
                 SELECT notificacion_id, proximo_intento FROM entregas
                 WHERE estado = 'pendiente' AND proximo_intento <= now()
                 ORDER BY proximo_intento LIMIT $1 FOR UPDATE SKIP LOCKED),
               abandonadas AS (
                 SELECT notificacion_id, proximo_intento FROM entregas
                 WHERE estado = 'en_curso' AND tomada_hasta < now()
                 ORDER BY tomada_hasta LIMIT $1 FOR UPDATE SKIP LOCKED),
               elegidas AS (
                 SELECT notificacion_id FROM (SELECT * FROM pendientes UNION ALL SELECT * FROM abandonadas) listas
                 ORDER BY proximo_intento LIMIT $1)
               UPDATE entregas e SET estado = 'en_curso', tomada_hasta = now() + make_interval(secs => $2)
               FROM elegidas WHERE e.notificacion_id = elegidas.notificacion_id
               RETURNING e.*, e.causa::text AS causa_texto, e.adjuntos::text AS adjuntos_texto""", cuantas, plazo_s)

    async def registrar_varias(self, resultados: list[tuple]) -> set[str]:
        """Resultados de varios intentos, `(notificacion_id, tomada_hasta, estado, error, reintento_en_s, cuando)`,
        en una sola sentencia; devuelve las entregas que seguían siendo nuestras (las demás se vencieron y otro las
        tomó). El próximo intento se cuenta con el reloj de la base, el mismo con que se toman."""
        if not resultados:
            return set()
        ids, tomadas, estados, errores, esperas, cuandos = map(list, zip(*resultados, strict=True))
        filas = await self.conn.fetch(
            """UPDATE entregas e SET estado = r.estado, intentos = e.intentos + 1, ultimo_error = r.error,
                      tomada_hasta = NULL, enviada_en = CASE WHEN r.estado = 'enviada' THEN r.cuando END,
                      proximo_intento = now() + make_interval(secs => r.espera)
               FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::float8[], $6::timestamptz[])
                    AS r(notificacion_id, tomada_hasta, estado, error, espera, cuando)
               WHERE e.notificacion_id = r.notificacion_id AND e.estado = 'en_curso'
                 AND e.tomada_hasta = r.tomada_hasta
               RETURNING e.notificacion_id""", ids, tomadas, estados, errores, esperas, cuandos)
        return {f["notificacion_id"] for f in filas}
