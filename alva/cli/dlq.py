"""La cola de mensajes muertos: lo ilegible y lo que un servicio no pudo procesar, y su reenvío único."""

from collections import defaultdict
from collections.abc import Callable
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from alva.cli.comun import (Json, admin, consola, correr, errores, json_a_pantalla, kafka, leer_hasta, lector_en,
                            por_leer, productor, topicos_alva)
from esquemas.rechazos import SUFIJO_DLQ, TOPICO_REENVIOS

dlq = typer.Typer(help="La cola de mensajes muertos: lo ilegible y lo que un servicio no pudo procesar.",
                  invoke_without_command=True)
GRUPO_REENVIO = "alva-dlq-reenvio"
Topico = Annotated[str | None, typer.Option(help="Sólo esta DLQ (o la de este tópico).")]


def _cabecera(registro, nombre: str) -> str | None:
    for k, v in registro.headers or ():
        if k == nombre:
            return v.decode("utf-8", "replace")
    return None


async def _dlqs(opciones: dict, topico: str | None) -> list[str]:
    todos = [t for t in await topicos_alva(opciones) if t.endswith(SUFIJO_DLQ)]
    if topico:
        topico = topico if topico.endswith(SUFIJO_DLQ) else topico + SUFIJO_DLQ
        return [topico] if topico in todos else []
    return todos


@dlq.callback()
def dlq_listar(ctx: typer.Context, topico: Topico = None, como_json: Json = False) -> None:
    """Lista lo que hay en las DLQ y si ya se reenvió."""
    if ctx.invoked_subcommand is not None:
        return
    filas = correr(listar(kafka(), topico))
    if como_json:
        json_a_pantalla(filas)
        return
    tabla = Table("dlq@offset", "original", "servicio", "código", "motivo", "reenviado", "contenido", box=None)
    for f in filas:
        tabla.add_row(f"{f['dlq']}:{f['particion']}@{f['offset']}", f"{f['topico_original']}@{f['offset_original']}",
                      f["servicio"] or "", f"[red]{f['codigo']}[/]", escape(f["motivo"] or ""),
                      "sí" if f["reenviado"] else "[yellow]no[/]", escape(f["contenido"][:50]))
    consola.print(tabla if filas else "[green]Las DLQ están vacías.[/]")


async def listar(opciones: dict, topico: str | None = None) -> list[dict]:
    """Cada mensaje de las DLQ (o de la de `topico`), con sus cabeceras de error y si ya se reenvió."""
    nombres = await _dlqs(opciones, topico)
    if not nombres:
        return []
    cliente = await admin(opciones)
    try:
        hechos = await cliente.list_consumer_group_offsets(GRUPO_REENVIO)
    finally:
        await cliente.close()
    lector, finales = await lector_en(opciones, nombres, None)
    filas = []
    try:
        async for tp, registros in leer_hasta(lector, finales):
            for r in registros:
                hecho = hechos.get(tp)
                filas.append({
                    "dlq": r.topic, "particion": r.partition, "offset": r.offset, "marca_ms": r.timestamp,
                    "topico_original": _cabecera(r, "alva-topico-original") or r.topic.removesuffix(SUFIJO_DLQ),
                    "offset_original": _cabecera(r, "alva-offset-original"), "servicio": _cabecera(r, "alva-servicio"),
                    "codigo": _cabecera(r, "alva-error-codigo"), "motivo": _cabecera(r, "alva-error-motivo"),
                    "truncado": _cabecera(r, "alva-truncado") == "true",
                    "reenviado": hecho is not None and r.offset < hecho.offset,
                    "contenido": (r.value or b"").decode("utf-8", "replace"),
                })
    finally:
        await lector.stop()
    return filas


@dlq.command("reenviar")
def dlq_reenviar(topico: Topico = None, como_json: Json = False) -> None:
    """Devuelve al servicio que los apartó, una sola vez, los mensajes aún no reenviados (tras corregir la causa).

    Van por alva.reenvios: cada servicio cree sólo los bytes exactos que él mismo mandó a su DLQ."""
    with Progress(console=errores, transient=True) as barra:
        tarea = barra.add_task("reenviando", total=None, visible=False)
        reenviados = correr(reenviar(
            kafka(), topico, al_saltar=lambda aviso: errores.print(f"[yellow]–[/] {escape(aviso)}"),
            al_avanzar=lambda hechos, total: barra.update(tarea, completed=hechos, total=total, visible=total >= 100)))
    if como_json:
        json_a_pantalla(reenviados)
    elif reenviados:
        for dlq_, n in reenviados.items():
            consola.print(f"[green]✔[/] {n} mensaje(s) de {dlq_} reenviados a quien los apartó")
    else:
        consola.print("Nada que reenviar.")


async def reenviar(opciones: dict, topico: str | None = None, *, al_saltar: Callable[[str], None] = lambda _: None,
                   al_avanzar: Callable[[int, int], None] = lambda hechos, total: None) -> dict[str, int]:
    """Lee desde donde quedó el grupo `alva-dlq-reenvio`, publica y sólo entonces mueve su offset."""
    nombres = await _dlqs(opciones, topico)
    if not nombres:
        return {}
    lector, finales = await lector_en(opciones, nombres, None, grupo=GRUPO_REENVIO)
    p = await productor(opciones)
    cuenta: dict[str, int] = defaultdict(int)
    try:
        total, hechos = await por_leer(lector, finales), 0
        async for tp, registros in leer_hasta(lector, finales):
            for r in registros:
                hechos += 1
                if _cabecera(r, "alva-truncado") == "true":
                    al_saltar(f"{r.topic}@{r.offset} quedó truncado en la DLQ: no se reenvía")
                    continue
                cabeceras = [*(r.headers or ()), ("alva-reenviado-de", f"{r.topic}:{r.partition}@{r.offset}".encode())]
                await p.send_and_wait(TOPICO_REENVIOS, r.value, key=r.key, headers=cabeceras)
                cuenta[r.topic] += 1
                al_avanzar(hechos, total)
            await lector.commit({tp: registros[-1].offset + 1})
    finally:
        await p.stop()
        await lector.stop()
    return dict(cuenta)
