"""Lo que la consola lee de las tablas de cada servicio (sólo lectura), además de lo que ya lee `alva estado`."""

import json
from datetime import date, timedelta

from alva.cli.estado import convenios_de, distintivos_de, fallidas_de

PROXIMOS_DIAS = 90  # "por vencer": lo que termina en los próximos días


async def _existe(conn, tabla: str) -> bool:
    return await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", tabla)


async def instituciones(conn) -> list[dict]:
    """Cada institución con convenio: nombre, convenios, objetivos cumplidos de los vigentes y sus distintivos."""
    if not await _existe(conn, "convenios.convenios"):
        return []
    filas = {f["institucion"]: dict(f) for f in await conn.fetch(
        """SELECT institucion, (array_agg(contenido->'institucion'->>'nombre' ORDER BY registrado_en DESC))[1] AS nombre,
                  count(*) AS convenios, count(*) FILTER (WHERE estado = 'vigente') AS vigentes
           FROM convenios.convenios GROUP BY institucion ORDER BY institucion""")}
    for f in await conn.fetch(
            """SELECT c.institucion, count(*) AS objetivos, count(*) FILTER (WHERE o.cumplido) AS cumplidos
               FROM convenios.objetivos o JOIN convenios.convenios c USING (convenio_id)
               WHERE c.estado = 'vigente' GROUP BY c.institucion"""):
        filas[f["institucion"]].update(objetivos=f["objetivos"], cumplidos=f["cumplidos"])
    if await _existe(conn, "distintivos.distintivos"):
        for f in await conn.fetch(
                """SELECT institucion, count(*) FILTER (WHERE estado = 'vigente') AS distintivos_vigentes,
                          count(*) AS distintivos, min(vigencia_fin) FILTER (WHERE estado = 'vigente') AS vence
                   FROM distintivos.distintivos GROUP BY institucion"""):
            if f["institucion"] in filas:
                filas[f["institucion"]].update(dict(f))
    return list(filas.values())


async def por_vencer(conn, dias: int = PROXIMOS_DIAS) -> list[dict]:
    """Distintivos vigentes y convenios vigentes que terminan en los próximos `dias`, del más cercano al más lejano."""
    hasta, filas = date.today() + timedelta(days=dias), []
    if await _existe(conn, "distintivos.distintivos"):
        filas += [{"que": "distintivo", **dict(f)} for f in await conn.fetch(
            """SELECT distintivo_id AS id, institucion, programa, vigencia_fin FROM distintivos.distintivos
               WHERE estado = 'vigente' AND vigencia_fin <= $1""", hasta)]
    if await _existe(conn, "convenios.convenios"):
        filas += [{"que": "convenio", **dict(f)} for f in await conn.fetch(
            """SELECT convenio_id AS id, institucion, programa, vigencia_fin FROM convenios.convenios
               WHERE estado = 'vigente' AND vigencia_fin <= $1""", hasta)]
    return sorted(filas, key=lambda f: f["vigencia_fin"])


async def nombre_de(conn, institucion: str) -> str | None:
    if not await _existe(conn, "convenios.convenios"):
        return None
    return await conn.fetchval(
        """SELECT contenido->'institucion'->>'nombre' FROM convenios.convenios WHERE institucion = $1
           ORDER BY registrado_en DESC LIMIT 1""", institucion)


async def capacitacion_de(conn, institucion: str) -> dict[str, dict]:
    """Por convenio: sesiones completadas, programadas y canceladas, y constancias emitidas."""
    if not await _existe(conn, "capacitacion.sesiones"):
        return {}
    cuentas: dict[str, dict] = {}
    for f in await conn.fetch(
            """SELECT convenio_id, estado, count(*) AS n FROM capacitacion.sesiones WHERE institucion = $1
               GROUP BY convenio_id, estado""", institucion):
        cuentas.setdefault(f["convenio_id"], {"constancias": 0})[f["estado"]] = f["n"]
    for f in await conn.fetch(
            """SELECT convenio_id, sum(jsonb_array_length(con_constancia)) AS n FROM capacitacion.sesiones
               WHERE institucion = $1 GROUP BY convenio_id""", institucion):
        cuentas.setdefault(f["convenio_id"], {"constancias": 0})["constancias"] = f["n"]
    return cuentas


async def evidencias_de(conn, institucion: str) -> list[dict]:
    if not await _existe(conn, "convenios.evidencias"):
        return []
    return [dict(f) for f in await conn.fetch(
        """SELECT e.convenio_id, e.evidencia_id, e.objetivo_id, e.descripcion, e.documento, e.estado, e.motivo
           FROM convenios.evidencias e JOIN convenios.convenios c USING (convenio_id)
           WHERE c.institucion = $1 ORDER BY e.estado = 'recibida' DESC, e.convenio_id, e.evidencia_id""", institucion)]


async def institucion(conn, institucion_id: str) -> dict:
    """Todo lo de una institución que la consola muestra; sólo de ella."""
    return {"id": institucion_id, "nombre": await nombre_de(conn, institucion_id),
            "convenios": await convenios_de(conn, institucion_id),
            "capacitacion": await capacitacion_de(conn, institucion_id),
            "evidencias": await evidencias_de(conn, institucion_id),
            "distintivos": await distintivos_de(conn, institucion_id),
            "fallidas": await fallidas_de(conn, institucion_id)}


async def distintivo(conn, distintivo_id: str) -> dict | None:
    if not await _existe(conn, "distintivos.distintivos"):
        return None
    fila = await conn.fetchrow(
        """SELECT distintivo_id, programa, convenio_id, institucion, otorgante, estado, fecha, vigencia_inicio,
                  vigencia_fin, motivo, credencial FROM distintivos.distintivos WHERE distintivo_id = $1""", distintivo_id)
    return dict(fila) if fila else None


async def jwks(conn, otorgante: str) -> list[dict]:
    """Las claves públicas del otorgante, todas (también las rotadas), de la más vieja a la que firma hoy."""
    if not await _existe(conn, "distintivos.claves_publicas"):
        return []
    return [_json(f["jwk"]) for f in await conn.fetch(
        "SELECT jwk FROM distintivos.claves_publicas WHERE otorgante = $1 ORDER BY orden, kid", otorgante)]


async def clave(conn, kid: str, otorgante: str | None) -> tuple[str, dict] | None:
    """(otorgante, JWK) de la clave `kid`, de entre las publicadas (las de `otorgante`, si se sabe)."""
    if not await _existe(conn, "distintivos.claves_publicas"):
        return None
    fila = await conn.fetchrow(
        """SELECT otorgante, jwk FROM distintivos.claves_publicas WHERE kid = $1 AND ($2::text IS NULL OR otorgante = $2)
           ORDER BY orden DESC LIMIT 1""", kid, otorgante)
    return (fila["otorgante"], _json(fila["jwk"])) if fila else None


async def listas(conn, otorgante: str) -> list[dict]:
    if not await _existe(conn, "distintivos.listas_estado"):
        return []
    return [dict(f) for f in await conn.fetch(
        "SELECT programa, url FROM distintivos.listas_estado WHERE otorgante = $1 ORDER BY programa", otorgante)]


async def lista(conn, *, url: str | None = None, otorgante: str | None = None, programa: str | None = None) -> str | None:
    """El JWT de la última lista de estado firmada: por su URL, o por otorgante y programa."""
    if not await _existe(conn, "distintivos.listas_estado"):
        return None
    return await conn.fetchval(
        """SELECT jwt FROM distintivos.listas_estado
           WHERE ($1::text IS NULL OR url = $1) AND ($2::text IS NULL OR otorgante = $2)
             AND ($3::text IS NULL OR programa = $3) LIMIT 1""", url, otorgante, programa)


def _json(valor):
    return json.loads(valor) if isinstance(valor, str) else valor
