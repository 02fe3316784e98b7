"""Lo que el outbox de cada servicio apartó porque Kafka no lo aceptará (demasiado grande, sin tópico o sin permiso)."""

from typing import Annotated

import asyncpg
import typer
from rich.markup import escape
from rich.table import Table

from alva.cli.comun import Json, Salida, ajustes, consola, correr, json_a_pantalla, salir
from plataforma.nube import Mensaje
from plataforma.outbox import cabeceras_de_json, encolar

SERVICIOS = ("convenios", "capacitacion", "distintivos", "notificaciones")
outbox = typer.Typer(help="Lo que Kafka no aceptó y cada servicio apartó, sin detener lo demás.",
                     invoke_without_command=True)


async def apartados(conn, servicio: str | None = None) -> list[dict]:
    """Las filas apartadas de cada servicio (o de `servicio`), con su error."""
    filas = []
    for s in [servicio] if servicio else SERVICIOS:
        if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{s}.outbox_apartados"):
            filas += [{"servicio": s, **dict(f)} for f in await conn.fetch(
                f"""SELECT id, topico, octet_length(valor) AS bytes, error, creado_en, apartado_en
                    FROM {s}.outbox_apartados ORDER BY id""")]
    return filas


async def _apartados(servicio: str | None) -> list[dict]:
    conn = await asyncpg.connect(ajustes().postgres_dsn, timeout=10,
                                 server_settings={"default_transaction_read_only": "on"})
    try:
        return await apartados(conn, servicio)
    finally:
        await conn.close()


@outbox.callback()
def listar(ctx: typer.Context, servicio: Annotated[str | None, typer.Option(help="Sólo este servicio.")] = None,
           como_json: Json = False) -> None:
    """Cada fila apartada, con su error; `alva outbox reintentar` la devuelve a su outbox tras corregir la causa."""
    if ctx.invoked_subcommand is not None:
        return
    filas = correr(_apartados(servicio))
    if como_json:
        json_a_pantalla(filas)
        return
    tabla = Table("servicio", "id", "tópico", "bytes", "apartado", "error", box=None)
    for f in filas:
        tabla.add_row(f["servicio"], str(f["id"]), f["topico"], str(f["bytes"]),
                      f"{f['apartado_en']:%Y-%m-%d %H:%M:%S}", escape(f["error"]))
    consola.print(tabla if filas else "[green]Nada apartado: todo lo encolado salió.[/]")


@outbox.command("reintentar")
def reintentar(servicio: Annotated[str, typer.Argument(help="El servicio dueño del outbox.")],
               ids: Annotated[list[int] | None, typer.Argument(help="Las filas; sin ellas, todas.")] = None) -> None:
    """Devuelve filas apartadas al outbox de su servicio (después de crear el tópico o dar el permiso que faltaba)."""
    if servicio not in SERVICIOS:
        salir(Salida.INVALIDO, f"[red]✘ '{servicio}' no es un servicio:[/] {', '.join(SERVICIOS)}")
    movidas = correr(_reintentar(servicio, ids or None))
    consola.print(f"[green]✔[/] {movidas} fila(s) devueltas al outbox de {servicio}")


async def _reintentar(servicio: str, ids: list[int] | None) -> int:
    conn = await asyncpg.connect(ajustes().postgres_dsn, timeout=10)
    try:
        return await devolver(conn, servicio, ids)
    finally:
        await conn.close()


async def devolver(conn, servicio: str, ids: list[int] | None) -> int:
    """Los mensajes apartados `ids` (todos, sin ellos) vuelven al outbox de `servicio`, en su orden, como los encola
    el servicio mismo (`outbox.encolar`)."""
    async with conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", servicio)
        filas = sorted(await conn.fetch(
            """DELETE FROM outbox_apartados WHERE $1::bigint[] IS NULL OR id = ANY($1::bigint[])
               RETURNING id, topico, llave, valor, cabeceras::text AS cabeceras""", ids), key=lambda f: f["id"])
        await encolar(conn, servicio, [Mensaje(f["topico"], f["llave"], f["valor"],
                                               tuple(cabeceras_de_json(f["cabeceras"]))) for f in filas])
    return len(filas)
