"""Para quien opera: seguir los tópicos, ver una cadena entera y los rechazos."""

import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from alva.cli.comun import (Salida, consola, correr, errores, instante, json_a_pantalla, kafka, leer_hasta, lector_en,
                            por_leer, salir, topicos_alva)
from alva.cadena import Nodo, Resumen, armar
from alva.lineas import linea, tipo_corto
from esquemas import CloudEvent
from plataforma.esperas import detener_cliente
from plataforma.nube import marca_de
from esquemas.rechazos import SUFIJO_DLQ, TOPICO as TOPICO_RECHAZOS

COLORES = {"alva.convenios": "cyan", "alva.capacitacion": "blue", "alva.capacitacion.constancias": "blue",
           "alva.distintivos": "magenta", "alva.notificaciones": "green", "alva.rechazos": "red"}
Json = Annotated[bool, typer.Option("--json", help="Una línea JSON por evento, para scripts.")]
Desde = Annotated[str | None, typer.Option(help="Desde un momento: 2026-11-23T10:00, o hace 30m, 2h, 7d.")]


def color(topico: str) -> str:
    return COLORES.get(topico, "yellow" if topico.startswith("alva.ingreso.") else "white")


def registro_a_evento(registro) -> CloudEvent | None:
    """El CloudEvent del registro (sin `time`, con la hora del broker), o None si no es uno."""
    try:
        evento = CloudEvent.model_validate_json(registro.value or b"")
    except ValueError:
        return None
    return evento if evento.time is not None else evento.model_copy(update={"time": marca_de(registro.timestamp)})


def _pasa(e: CloudEvent, institucion: str | None, tipo: str | None, correlacion: str | None) -> bool:
    return ((institucion is None or e.institucion == institucion) and (tipo is None or tipo in e.type)
            and (correlacion is None or correlacion in (e.correlationid, str(e.id))))


def _como_json(topico: str, particion: int, offset: int, e: CloudEvent) -> dict:
    return {"topico": topico, "particion": particion, "offset": offset, **e.model_dump(mode="json", exclude_none=True)}


def _imprimir(topico: str, e: CloudEvent) -> None:
    consola.print(Text(linea(e, topico), style=color(topico)))


def observar(
    topicos: Annotated[list[str] | None, typer.Argument(help="Tópicos; por omisión todos los alva.* (sin las DLQ).")] = None,
    desde_inicio: Annotated[bool, typer.Option("--desde-inicio", help="Desde el principio de cada tópico.")] = False,
    desde: Desde = None,
    institucion: Annotated[str | None, typer.Option("--institucion", "-i")] = None,
    tipo: Annotated[str | None, typer.Option("--tipo", "-t", help="Parte del type, p. ej. distintivo.otorgado")] = None,
    correlacion: Annotated[str | None, typer.Option(help="Sólo la cadena con este correlationid.")] = None,
    cadena: Annotated[str | None, typer.Option(help="Muestra la cadena entera de un evento (id): lo que lo "
                                                    "causó y lo que causó, como árbol.")] = None,
    seguir: Annotated[bool, typer.Option(help="--no-seguir: muestra lo que ya hay (desde --desde o el principio), "
                                              "en orden de tiempo, y termina.")] = True,
    plazo: Annotated[float | None, typer.Option(help="Deja de seguir tras estos segundos.")] = None,
    maximo: Annotated[int | None, typer.Option("--max", help="Deja de seguir tras estos eventos.")] = None,
    como_json: Json = False,
) -> None:
    """Sigue los tópicos en vivo: una línea legible y coloreada por CloudEvent (Ctrl-C para salir)."""
    inicio = instante(desde)
    if cadena:
        correr(_cadena(topicos, cadena, inicio, como_json))
        return
    try:
        if not seguir:
            correr(_historia(topicos, inicio, institucion, tipo, correlacion, maximo, como_json))
            return
        correr(_seguir(topicos, desde_inicio, inicio, institucion, tipo, correlacion, plazo, maximo, como_json))
    except KeyboardInterrupt:
        pass


def sin_dlq(topicos: list[str]) -> list[str]:
    return [t for t in topicos if not t.endswith(SUFIJO_DLQ)]


async def _topicos(topicos: list[str] | None) -> list[str]:
    todos = await topicos_alva(kafka())
    if topicos:
        faltan = [t for t in topicos if t not in todos]
        if faltan:
            salir(Salida.INVALIDO, f"[red]✘ No existen:[/] {', '.join(faltan)}. Hay: {', '.join(todos)}")
        return topicos
    return sin_dlq(todos)


async def _seguir(topicos, desde_inicio, inicio, institucion, tipo, correlacion, plazo, maximo, como_json) -> None:
    nombres = await _topicos(topicos)
    lector, _ = await lector_en(kafka(), nombres, None if desde_inicio else inicio,
                                al_final=not desde_inicio and inicio is None)
    errores.print(f"[dim]siguiendo {', '.join(nombres)}[/]")  # en stderr: también avisa a un script que ya escucha
    vistos, limite = 0, time.monotonic() + plazo if plazo is not None else None
    try:
        while limite is None or time.monotonic() < limite:
            espera = 500 if limite is None else max(1, int(min(0.5, limite - time.monotonic()) * 1000))
            lotes = await lector.getmany(timeout_ms=espera)
            registros = sorted((r for rs in lotes.values() for r in rs), key=lambda r: r.timestamp)
            for r in registros:
                e = registro_a_evento(r)
                if e is None:
                    if institucion is None and tipo is None and correlacion is None and not como_json:
                        consola.print(Text(f"(ilegible) {r.topic}@{r.partition}:{r.offset} {r.value[:60]!r}",
                                           style="red"))
                    continue
                if not _pasa(e, institucion, tipo, correlacion):
                    continue
                json_a_pantalla(_como_json(r.topic, r.partition, r.offset, e)) if como_json else _imprimir(r.topic, e)
                vistos += 1
                if maximo is not None and vistos >= maximo:
                    return
    finally:
        await lector.stop()


async def _historia(topicos, inicio, institucion, tipo, correlacion, maximo, como_json) -> None:
    eventos = await _leer_todo(await _topicos(topicos), inicio, "leyendo la historia")
    elegidos = sorted((x for x in eventos if _pasa(x[3], institucion, tipo, correlacion)), key=lambda x: x[3].time)
    for t, p, o, e in elegidos[:maximo]:
        json_a_pantalla(_como_json(t, p, o, e)) if como_json else _imprimir(t, e)


async def leer_eventos(opciones: dict, topicos: list[str], inicio: datetime | None,
                      al_avanzar: Callable[[int, int], None] | None = None) -> list[tuple[str, int, int, CloudEvent]]:
    """Todo lo que hay hoy en los tópicos (desde `inicio`); `al_avanzar(leídos, total)` tras cada lote."""
    lector, finales = await lector_en(opciones, topicos, inicio)
    eventos, leidos = [], 0
    try:
        total = await por_leer(lector, finales)
        async for _, registros in leer_hasta(lector, finales):
            for r in registros:
                if (e := registro_a_evento(r)) is not None:
                    eventos.append((r.topic, r.partition, r.offset, e))
            leidos += len(registros)
            if al_avanzar is not None:
                al_avanzar(leidos, total)
    finally:
        await detener_cliente(lector)  # lo usa la consola por petición: ninguna espera al cierre de TLS
    return eventos


async def _leer_todo(topicos: list[str], inicio, descripcion: str) -> list[tuple[str, int, int, CloudEvent]]:
    """Lo mismo, con una barra de avance cuando es mucho."""
    with Progress(console=errores, transient=True) as barra:
        tarea = barra.add_task(descripcion, total=None, visible=False)

        def avanzar(leidos: int, total: int) -> None:
            barra.update(tarea, completed=leidos, total=total, visible=total >= 5000)

        return await leer_eventos(kafka(), topicos, inicio, avanzar)


async def _cadena(topicos, evento_id: str, inicio, como_json: bool) -> None:
    cadena = armar(await _leer_todo(await _topicos(topicos), inicio, "leyendo la historia"), evento_id)
    if cadena is None:
        salir(Salida.RECHAZADO, f"[red]✘ No hay un evento {evento_id}[/] en esos tópicos.")
    if como_json:
        for visto in cadena.vistos:
            json_a_pantalla(_como_json(*visto))
        return
    raiz = Tree(_rotulo(cadena.raiz))
    _colgar(raiz, cadena.raiz)
    consola.print(raiz)


def _rotulo(nodo: Nodo) -> Text:
    texto = Text(linea(nodo.evento, nodo.topico), style=color(nodo.topico) + (" bold" if nodo.en_linaje else ""))
    return Text("▶ ", style="bold").append_text(texto) if nodo.elegido else texto


def _colgar(rama: Tree, nodo: Nodo) -> None:
    for hijo in nodo.hijos:
        if isinstance(hijo, Resumen):
            rama.add(Text(f"… y {hijo.cuantos} más {tipo_corto(hijo.tipo)}", style="dim"))
        else:
            _colgar(rama.add(_rotulo(hijo)), hijo)


def rechazos(
    institucion: Annotated[str | None, typer.Option("--institucion", "-i")] = None,
    codigo: Annotated[str | None, typer.Option(help="Sólo este código, p. ej. sin_asistentes.")] = None,
    desde: Desde = "7d",
    como_json: Json = False,
) -> None:
    """Lo que se rechazó y por qué (de alva.rechazos), con el tópico y offset del reporte."""
    eventos = correr(_leer_todo([TOPICO_RECHAZOS], instante(desde), "leyendo rechazos"))
    filas = [e for _, _, _, e in eventos if (institucion is None or e.institucion == institucion)
             and (codigo is None or e.data.get("codigo") == codigo)]
    if como_json:
        json_a_pantalla([{"time": e.time.isoformat(), "institucion": e.institucion, **e.data} for e in filas])
        return
    tabla = Table("hora", "institución", "código", "reporte", "tópico@offset", "campo", "motivo", box=None)
    for e in filas:
        d = e.data
        tabla.add_row(e.time.astimezone().strftime("%Y-%m-%d %H:%M:%S"), e.institucion, f"[red]{d['codigo']}[/]",
                      tipo_corto(d.get("entrada_tipo") or "(ilegible)"),
                      f"{d['topico']}:{d['particion']}@{d['offset']}", d.get("campo") or "", escape(d["motivo"]))
    consola.print(tabla if filas else "[green]Ningún rechazo.[/]")


