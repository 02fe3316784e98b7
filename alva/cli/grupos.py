"""El retraso (lag) de cada servicio: cuántos eventos le faltan por procesar, por tópico."""

import asyncio
import time
from collections import defaultdict
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from alva.cli.comun import Json, Salida, admin, consola, correr, errores, finales_de, json_a_pantalla, kafka, salir
from plataforma.grupos import describir_grupo

SERVICIOS = ("convenios", "capacitacion", "distintivos", "notificaciones")


def grupos(
    max_retraso: Annotated[int | None, typer.Option(help="Sale con 1 si algún grupo va más atrás que esto.")] = None,
    al_dia: Annotated[bool, typer.Option("--esperar-al-dia", help="Espera, con una barra de avance, a que los "
                                         "servicios (alva-<servicio>) no deban nada; 3 si no en --plazo.")] = False,
    plazo: Annotated[float, typer.Option(help="Segundos de espera con --esperar-al-dia.")] = 300.0,
    como_json: Json = False,
) -> None:
    """El retraso (lag) de cada servicio: cuántos eventos le faltan por procesar, por tópico."""
    if al_dia and not correr(_esperar_al_dia(plazo)):
        salir(Salida.SIN_RESPUESTA, f"[yellow]Los servicios no se pusieron al día en {plazo:g} s.[/]")
    filas = correr(retrasos(kafka()))
    if como_json:
        json_a_pantalla(filas)
    else:
        tabla = Table("grupo", "estado", "instancias", "retraso", "por tópico", box=None)
        for f in filas:
            estilo = "green" if f["retraso"] == 0 else "yellow" if f["retraso"] < 1000 else "red"
            detalle = ", ".join(f"{t} {n}" for t, n in sorted(f["por_topico"].items()) if n)
            tabla.add_row(f["grupo"], f["estado"], str(f["instancias"]), f"[{estilo}]{f['retraso']}[/]", detalle)
        consola.print(tabla if filas else "Ningún grupo de consumo de ALVA todavía.")
    if max_retraso is not None and any(f["retraso"] > max_retraso for f in filas):
        raise typer.Exit(int(Salida.RECHAZADO))


GRUPOS_DE_SERVICIOS = {f"alva-{s}" for s in SERVICIOS}


async def _esperar_al_dia(plazo_s: float) -> bool:
    limite = time.monotonic() + plazo_s
    with Progress(console=errores, transient=True) as barra:
        tarea = total = None
        while True:
            debe = sum(f["retraso"] for f in await retrasos(kafka()) if f["grupo"] in GRUPOS_DE_SERVICIOS)
            if tarea is None:
                total = max(debe, 1)
                tarea = barra.add_task("poniéndose al día", total=total)
            barra.update(tarea, completed=total - debe)
            if debe == 0:
                return True
            if time.monotonic() > limite:
                return False
            await asyncio.sleep(0.5)


async def retrasos(opciones: dict) -> list[dict]:
    """Cada grupo `alva-*`: estado, instancias y cuántos eventos le faltan, en total y por tópico."""
    cliente = await admin(opciones)
    try:
        nombres = sorted(g[0] for g in await cliente.list_consumer_groups() if g[0].startswith("alva-"))
        descritos = {g: await describir_grupo(cliente, g) for g in nombres}
        confirmados = {g: await cliente.list_consumer_group_offsets(g) for g in nombres}
    finally:
        await cliente.close()
    finales = await finales_de(opciones, sorted({tp.topic for offs in confirmados.values() for tp in offs}))
    filas = []
    for g in nombres:
        por_topico: dict[str, int] = defaultdict(int)
        for tp, om in confirmados[g].items():
            por_topico[tp.topic] += max(0, finales.get(tp, 0) - om.offset)
        estado, instancias = descritos.get(g, ("?", 0))
        filas.append({"grupo": g, "estado": estado, "instancias": instancias,
                      "retraso": sum(por_topico.values()), "por_topico": dict(por_topico)})
    return filas
