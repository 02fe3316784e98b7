"""Qué tan lejos está una institución de su distintivo, y el registro de avisos: del estado de cada servicio."""

import json
from datetime import date
from typing import Annotated

import asyncpg
import typer
from rich.markup import escape
from rich.table import Table

from alva.cli.comun import Salida, ajustes, consola, correr, instante, json_a_pantalla, salir
from alva.cli.observar import _leer_todo
from esquemas.rechazos import TOPICO as TOPICO_RECHAZOS

Json = Annotated[bool, typer.Option("--json", help="Salida JSON para scripts.")]


async def _conectar() -> asyncpg.Connection:
    """Sólo lectura: cada servicio es dueño de su esquema; esto sólo mira."""
    return await asyncpg.connect(ajustes().postgres_dsn, timeout=10,
                                 server_settings={"default_transaction_read_only": "on"})


async def _tabla_existe(conn, nombre: str) -> bool:
    return await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", nombre)


async def convenios_de(conn, institucion: str) -> list[dict]:
    """Sus convenios, el avance de cada objetivo y lo que el evaluador dice que aún falta (None: no ha evaluado)."""
    if not await _tabla_existe(conn, "convenios.convenios"):
        return []
    con_evaluaciones = await _tabla_existe(conn, "distintivos.evaluaciones")
    convenios = []
    for c in await conn.fetch(
            "SELECT convenio_id, programa, estado, vigencia_inicio, vigencia_fin, version FROM "
            "convenios.convenios WHERE institucion = $1 ORDER BY registrado_en DESC", institucion):
        objetivos = await conn.fetch(
            "SELECT objetivo_id, descripcion, indicador, meta, valor, cumplido FROM convenios.objetivos "
            "WHERE convenio_id = $1 ORDER BY objetivo_id", c["convenio_id"])
        evaluacion = None
        if con_evaluaciones:
            evaluacion = await conn.fetchrow("SELECT cumplidos, faltantes FROM distintivos.evaluaciones "
                                             "WHERE convenio_id = $1", c["convenio_id"])
        convenios.append({**dict(c), "objetivos": [dict(o) for o in objetivos],
                          "faltantes": _json(evaluacion["faltantes"]) if evaluacion else None})
    return convenios


async def distintivos_de(conn, institucion: str) -> list[dict]:
    if not await _tabla_existe(conn, "distintivos.distintivos"):
        return []
    return [dict(d) for d in await conn.fetch(
        "SELECT distintivo_id, programa, convenio_id, estado, fecha, vigencia_inicio, vigencia_fin, motivo "
        "FROM distintivos.distintivos WHERE institucion = $1 ORDER BY fecha DESC", institucion)]


async def fallidas_de(conn, institucion: str) -> list[dict]:
    if not await _tabla_existe(conn, "notificaciones.entregas"):
        return []
    return [dict(f) for f in await conn.fetch(
        "SELECT aviso, canal, destinatario, intentos, ultimo_error, creada_en FROM notificaciones.entregas "
        "WHERE institucion = $1 AND estado = 'fallida' ORDER BY creada_en DESC LIMIT 20", institucion)]


async def _estado(institucion: str, dias_rechazos: int) -> dict:
    conn = await _conectar()
    try:
        convenios = await convenios_de(conn, institucion)
        distintivos = await distintivos_de(conn, institucion)
        fallidas = await fallidas_de(conn, institucion)
    finally:
        await conn.close()
    eventos = await _leer_todo([TOPICO_RECHAZOS], instante(f"{dias_rechazos}d"), "leyendo rechazos")
    rechazos = [{"time": e.time, **e.data} for _, _, _, e in eventos if e.institucion == institucion][-20:]
    return {"institucion": institucion, "convenios": convenios, "distintivos": distintivos, "rechazos": rechazos,
            "notificaciones_fallidas": fallidas}


def _json(valor):
    return json.loads(valor) if isinstance(valor, str) else valor


def _barra(valor: float, meta: float, ancho: int = 20) -> str:
    parte = min(1.0, valor / meta) if meta else 1.0
    llenos = round(parte * ancho)
    estilo = "green" if parte >= 1 else "yellow"
    return f"[{estilo}]{'█' * llenos}[/][dim]{'░' * (ancho - llenos)}[/] {valor:g}/{meta:g}"


def estado(institucion: str,
           convenio: Annotated[str | None, typer.Option(help="Sólo este convenio.")] = None,
           dias_rechazos: Annotated[int, typer.Option(help="Rechazos de estos últimos días.")] = 30,
           como_json: Json = False) -> None:
    """Convenios con el avance de cada objetivo, lo que le falta según el evaluador, sus distintivos y
    vigencia, y sus rechazos y avisos fallidos recientes."""
    e = correr(_estado(institucion, dias_rechazos))
    if convenio is not None:
        e["convenios"] = [c for c in e["convenios"] if c["convenio_id"] == convenio]
        e["distintivos"] = [d for d in e["distintivos"] if d["convenio_id"] == convenio]
    if como_json:
        json_a_pantalla(e)
        return
    if not (e["convenios"] or e["distintivos"] or e["rechazos"]):
        salir(Salida.RECHAZADO, f"ALVA no sabe nada de '{institucion}' todavía (ni convenios ni rechazos).")
    consola.rule(f"[bold]{institucion}")
    for c in e["convenios"]:
        consola.print(f"\n[bold]Convenio {c['convenio_id']}[/] ({c['programa']}, versión {c['version']}) · "
                      f"{c['estado']} · vigencia del {c['vigencia_inicio']} al {c['vigencia_fin']}")
        for o in c["objetivos"]:
            marca = "[green]✔[/]" if o["cumplido"] else " "
            consola.print(f"  {marca} {o['objetivo_id']:<24} {_barra(o['valor'], o['meta'])}  "
                          f"[dim]{escape(o['descripcion'])}[/]")
        if c["faltantes"] is not None:
            consola.print("  Para el distintivo falta: " + (", ".join(map(escape, c["faltantes"])) if c["faltantes"]
                                                             else "[green]nada[/]"))
    if e["distintivos"]:
        consola.print("\n[bold]Distintivos[/]")
        hoy = date.today()
        for d in e["distintivos"]:
            resto = f" · vence en {(d['vigencia_fin'] - hoy).days} días" if d["estado"] == "vigente" else ""
            motivo = f" · {escape(d['motivo'])}" if d["motivo"] else ""
            consola.print(f"  {d['programa']} {d['distintivo_id']} · {d['estado']} · del {d['vigencia_inicio']} al "
                          f"{d['vigencia_fin']}{resto}{motivo}")
    if e["rechazos"]:
        consola.print(f"\n[bold]Rechazos recientes[/] ({len(e['rechazos'])})")
        for r in e["rechazos"]:
            consola.print(f"  [red]{r['codigo']}[/] {r['time']:%Y-%m-%d %H:%M} {r.get('campo') or ''} "
                          f"{escape(r['motivo'])}")
    if e["notificaciones_fallidas"]:
        consola.print("\n[bold]Avisos que no se pudieron entregar[/]")
        for f in e["notificaciones_fallidas"]:
            consola.print(f"  {f['aviso']} por {f['canal']} a {f['destinatario']} tras {f['intentos']} intento(s): "
                          f"{escape(f['ultimo_error'] or '')}")


async def _entregas(institucion, estado_, aviso, limite) -> list[dict]:
    conn = await _conectar()
    try:
        if not await _tabla_existe(conn, "notificaciones.entregas"):
            return []
        return [dict(f) for f in await conn.fetch(
            """SELECT notificacion_id, evento_id, aviso, institucion, canal, destinatario, asunto, estado, intentos,
                      ultimo_error, creada_en, enviada_en
               FROM notificaciones.entregas
               WHERE ($1::text IS NULL OR institucion = $1) AND ($2::text IS NULL OR estado = $2)
                 AND ($3::text IS NULL OR aviso = $3)
               ORDER BY creada_en DESC LIMIT $4""", institucion, estado_, aviso, limite)]
    finally:
        await conn.close()


def entregas(
    institucion: Annotated[str | None, typer.Option("--institucion", "-i")] = None,
    estado_: Annotated[str | None, typer.Option("--estado", help="pendiente, en_curso, enviada o fallida.")] = None,
    aviso: Annotated[str | None, typer.Option(help="p. ej. distintivo_otorgado, rechazo.")] = None,
    limite: Annotated[int, typer.Option(help="Las más recientes.")] = 50,
    como_json: Json = False,
) -> None:
    """El registro de avisos: a quién, por qué canal, en qué estado y, si falló, por qué."""
    filas = correr(_entregas(institucion, estado_, aviso, limite))
    if como_json:
        json_a_pantalla(filas)
        return
    tabla = Table("creada", "aviso", "institución", "canal", "destinatario", "estado", "intentos", "error", box=None)
    colores = {"enviada": "green", "fallida": "red"}
    for f in filas:
        tabla.add_row(f"{f['creada_en']:%Y-%m-%d %H:%M:%S}", f["aviso"], f["institucion"], f["canal"],
                      f["destinatario"], f"[{colores.get(f['estado'], 'yellow')}]{f['estado']}[/]", str(f["intentos"]),
                      escape(f["ultimo_error"] or ""))
    consola.print(tabla if filas else "Ningún aviso registrado con esos filtros.")
