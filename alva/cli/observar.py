"""Para quien opera: seguir los tópicos, ver una cadena entera, los rechazos, la DLQ y el retraso de cada servicio."""

import asyncio
import time
from collections import defaultdict
from typing import Annotated

import typer
from aiokafka.protocol.admin import DescribeGroupsRequest, DescribeGroupsRequest_v1
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from alva.cli.comun import (Salida, admin, ajustes, consola, correr, errores, finales_de, instante, json_a_pantalla,
                            leer_hasta, lector_en, por_leer, productor, salir, topicos_alva)
from alva.demo import SERVICIOS
from alva.lineas import linea, tipo_corto
from esquemas import CloudEvent
from esquemas.rechazos import SUFIJO_DLQ, TOPICO as TOPICO_RECHAZOS

COLORES = {"alva.convenios": "cyan", "alva.capacitacion": "blue", "alva.distintivos": "magenta",
           "alva.notificaciones": "green", "alva.rechazos": "red"}
Json = Annotated[bool, typer.Option("--json", help="Una línea JSON por evento, para scripts.")]
Desde = Annotated[str | None, typer.Option(help="Desde un momento: 2026-11-23T10:00, o hace 30m, 2h, 7d.")]


def color(topico: str) -> str:
    return COLORES.get(topico, "yellow" if topico.startswith("alva.ingreso.") else "white")


def _registro_a_evento(valor: bytes | None) -> CloudEvent | None:
    try:
        return CloudEvent.model_validate_json(valor or b"")
    except ValueError:
        return None


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


async def _topicos(topicos: list[str] | None) -> list[str]:
    todos = await topicos_alva(ajustes().kafka_bootstrap_servers)
    if topicos:
        faltan = [t for t in topicos if t not in todos]
        if faltan:
            salir(Salida.INVALIDO, f"[red]✘ No existen:[/] {', '.join(faltan)}. Hay: {', '.join(todos)}")
        return topicos
    return [t for t in todos if not t.endswith(SUFIJO_DLQ)]


async def _seguir(topicos, desde_inicio, inicio, institucion, tipo, correlacion, plazo, maximo, como_json) -> None:
    bootstrap = ajustes().kafka_bootstrap_servers
    nombres = await _topicos(topicos)
    lector, _ = await lector_en(bootstrap, nombres, None if desde_inicio else inicio,
                                al_final=not desde_inicio and inicio is None)
    errores.print(f"[dim]siguiendo {', '.join(nombres)}[/]")  # en stderr: también avisa a un script que ya escucha
    vistos, limite = 0, time.monotonic() + plazo if plazo is not None else None
    try:
        while limite is None or time.monotonic() < limite:
            espera = 500 if limite is None else max(1, int(min(0.5, limite - time.monotonic()) * 1000))
            lotes = await lector.getmany(timeout_ms=espera)
            registros = sorted((r for rs in lotes.values() for r in rs), key=lambda r: r.timestamp)
            for r in registros:
                e = _registro_a_evento(r.value)
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


async def _leer_todo(topicos: list[str], inicio, descripcion: str) -> list[tuple[str, int, int, CloudEvent]]:
    """Todo lo que hay hoy en los tópicos (desde `inicio`), con una barra de avance."""
    lector, finales = await lector_en(ajustes().kafka_bootstrap_servers, topicos, inicio)
    eventos = []
    try:
        total = await por_leer(lector, finales)
        with Progress(console=errores, transient=True, disable=total < 5000) as barra:
            tarea = barra.add_task(descripcion, total=total)
            async for _, registros in leer_hasta(lector, finales):
                for r in registros:
                    if (e := _registro_a_evento(r.value)) is not None:
                        eventos.append((r.topic, r.partition, r.offset, e))
                barra.advance(tarea, len(registros))
    finally:
        await lector.stop()
    return eventos


async def _cadena(topicos, evento_id: str, inicio, como_json: bool) -> None:
    eventos = await _leer_todo(await _topicos(topicos), inicio, "leyendo la historia")
    por_id = {str(e.id): (t, p, o, e) for t, p, o, e in eventos}
    if evento_id not in por_id:
        salir(Salida.RECHAZADO, f"[red]✘ No hay un evento {evento_id}[/] en esos tópicos.")
    hijos: dict[str, list[str]] = defaultdict(list)
    for t, p, o, e in sorted(eventos, key=lambda x: x[3].time):
        if e.causationid:
            hijos[e.causationid].append(str(e.id))
    linaje = [evento_id]  # de la raíz al evento pedido
    while (causa := por_id[linaje[0]][3].causationid) in por_id and causa not in linaje:
        linaje.insert(0, causa)
    en_cadena = [linaje[0], *_descendientes(linaje[0], hijos)]
    if como_json:
        for i in en_cadena:
            json_a_pantalla(_como_json(*por_id[i]))
        return
    raiz = Tree(_rotulo(linaje[0], por_id, linaje, evento_id))
    _colgar(raiz, linaje[0], hijos, por_id, linaje, evento_id)
    consola.print(raiz)


def _descendientes(i: str, hijos) -> list[str]:
    salida = []
    for h in hijos.get(i, []):
        salida += [h, *_descendientes(h, hijos)]
    return salida


def _rotulo(i: str, por_id, linaje: list[str], evento_id: str) -> Text:
    t, _, _, e = por_id[i]
    texto = Text(linea(e, t), style=color(t) + (" bold" if i in linaje else ""))
    return Text("▶ ", style="bold").append_text(texto) if i == evento_id else texto


MUCHOS = 3  # más hijos de un mismo tipo que esto (p. ej. constancias) se resumen en una línea


def _colgar(nodo: Tree, i: str, hijos, por_id, linaje: list[str], evento_id: str) -> None:
    por_tipo: dict[str, list[str]] = defaultdict(list)
    for h in hijos.get(i, []):
        por_tipo[por_id[h][3].type].append(h)
    for tipo_, ids in por_tipo.items():
        # Los primeros, y siempre el que lleva al evento pedido.
        mostrar = ids if len(ids) <= MUCHOS else list(dict.fromkeys(ids[:MUCHOS - 1] + [h for h in ids if h in linaje]))
        for h in mostrar:
            _colgar(nodo.add(_rotulo(h, por_id, linaje, evento_id)), h, hijos, por_id, linaje, evento_id)
        if resto := len(ids) - len(mostrar):
            nodo.add(Text(f"… y {resto} más {tipo_corto(tipo_)}", style="dim"))


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


dlq = typer.Typer(help="La cola de mensajes muertos: lo ilegible y lo que un servicio no pudo procesar.",
                  invoke_without_command=True)
GRUPO_REENVIO = "alva-dlq-reenvio"


def _cabecera(registro, nombre: str) -> str | None:
    for k, v in registro.headers or ():
        if k == nombre:
            return v.decode("utf-8", "replace")
    return None


async def _dlqs(topico: str | None) -> list[str]:
    todos = [t for t in await topicos_alva(ajustes().kafka_bootstrap_servers) if t.endswith(SUFIJO_DLQ)]
    if topico:
        topico = topico if topico.endswith(SUFIJO_DLQ) else topico + SUFIJO_DLQ
        return [topico] if topico in todos else []
    return todos


@dlq.callback()
def dlq_listar(ctx: typer.Context,
               topico: Annotated[str | None, typer.Option(help="Sólo esta DLQ (o la de este tópico).")] = None,
               como_json: Json = False) -> None:
    """Lista lo que hay en las DLQ y si ya se reenvió."""
    if ctx.invoked_subcommand is not None:
        return
    filas = correr(_listar_dlq(topico))
    if como_json:
        json_a_pantalla(filas)
        return
    tabla = Table("dlq@offset", "original", "servicio", "código", "motivo", "reenviado", "contenido", box=None)
    for f in filas:
        tabla.add_row(f"{f['dlq']}:{f['particion']}@{f['offset']}", f"{f['topico_original']}@{f['offset_original']}",
                      f["servicio"] or "", f"[red]{f['codigo']}[/]", escape(f["motivo"] or ""),
                      "sí" if f["reenviado"] else "[yellow]no[/]", escape(f["contenido"][:50]))
    consola.print(tabla if filas else "[green]Las DLQ están vacías.[/]")


async def _listar_dlq(topico: str | None) -> list[dict]:
    bootstrap = ajustes().kafka_bootstrap_servers
    nombres = await _dlqs(topico)
    if not nombres:
        return []
    cliente = await admin(bootstrap)
    try:
        hechos = await cliente.list_consumer_group_offsets(GRUPO_REENVIO)
    finally:
        await cliente.close()
    lector, finales = await lector_en(bootstrap, nombres, None)
    filas = []
    try:
        async for tp, registros in leer_hasta(lector, finales):
            for r in registros:
                hecho = hechos.get(tp)
                filas.append({
                    "dlq": r.topic, "particion": r.partition, "offset": r.offset,
                    "topico_original": _cabecera(r, "alva-topico-original") or r.topic.removesuffix(SUFIJO_DLQ),
                    "offset_original": _cabecera(r, "alva-offset-original"), "servicio": _cabecera(r, "alva-servicio"),
                    "codigo": _cabecera(r, "alva-error-codigo"), "motivo": _cabecera(r, "alva-error-motivo"),
                    "reenviado": hecho is not None and r.offset < hecho.offset,
                    "contenido": (r.value or b"").decode("utf-8", "replace"),
                })
    finally:
        await lector.stop()
    return filas


@dlq.command("reenviar")
def dlq_reenviar(topico: Annotated[str | None, typer.Option(help="Sólo esta DLQ (o la de este tópico).")] = None,
                 como_json: Json = False) -> None:
    """Devuelve a su tópico original lo que aún no se reenvió, una sola vez (tras corregir la causa)."""
    reenviados = correr(_reenviar(topico))
    if como_json:
        json_a_pantalla(reenviados)
    elif reenviados:
        for dlq_, n in reenviados.items():
            consola.print(f"[green]✔[/] {n} mensaje(s) de {dlq_} devueltos a {dlq_.removesuffix(SUFIJO_DLQ)}")
    else:
        consola.print("Nada que reenviar.")


async def _reenviar(topico: str | None) -> dict[str, int]:
    """Lee desde donde quedó el grupo `alva-dlq-reenvio`, publica y sólo entonces mueve su offset."""
    bootstrap = ajustes().kafka_bootstrap_servers
    nombres = await _dlqs(topico)
    if not nombres:
        return {}
    lector, finales = await lector_en(bootstrap, nombres, None, grupo=GRUPO_REENVIO)
    p = await productor(bootstrap)
    cuenta: dict[str, int] = defaultdict(int)
    try:
        total = await por_leer(lector, finales)
        with Progress(console=errores, transient=True, disable=total < 100) as barra:
            tarea = barra.add_task("reenviando", total=total)
            async for tp, registros in leer_hasta(lector, finales):
                for r in registros:
                    destino = _cabecera(r, "alva-topico-original") or r.topic.removesuffix(SUFIJO_DLQ)
                    cabeceras = [(k, v) for k, v in r.headers or () if not k.startswith("alva-")]
                    cabeceras.append(("alva-reenviado-de", f"{r.topic}:{r.partition}@{r.offset}".encode()))
                    await p.send_and_wait(destino, r.value, key=r.key, headers=cabeceras)
                    cuenta[r.topic] += 1
                    barra.advance(tarea)
                await lector.commit({tp: registros[-1].offset + 1})
    finally:
        await p.stop()
        await lector.stop()
    return dict(cuenta)


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
    filas = correr(_grupos())
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
            debe = sum(f["retraso"] for f in await _grupos() if f["grupo"] in GRUPOS_DE_SERVICIOS)
            if tarea is None:
                total = max(debe, 1)
                tarea = barra.add_task("poniéndose al día", total=total)
            barra.update(tarea, completed=total - debe)
            if debe == 0:
                return True
            if time.monotonic() > limite:
                return False
            await asyncio.sleep(0.5)


class _DescribirGruposV1(DescribeGroupsRequest):
    """aiokafka 0.14 negocia DescribeGroups v3 con Kafka 4 y no sabe leer la respuesta; la v1 basta aquí."""

    def build(self, _):
        return DescribeGroupsRequest_v1(self._groups)


async def _describir(cliente, grupo: str) -> tuple[str, int]:
    """(estado, instancias) del grupo, de DescribeGroups: (error, grupo, estado, tipo, protocolo, miembros)."""
    nodo = await cliente.find_coordinator(grupo)
    respuesta = await cliente._client.send(nodo, _DescribirGruposV1([grupo]))  # noqa: SLF001
    [(_, _, estado, _, _, miembros)] = respuesta.groups
    return estado, len(miembros)


async def _grupos() -> list[dict]:
    bootstrap = ajustes().kafka_bootstrap_servers
    cliente = await admin(bootstrap)
    try:
        nombres = sorted(g[0] for g in await cliente.list_consumer_groups() if g[0].startswith("alva-"))
        descritos = {g: await _describir(cliente, g) for g in nombres}
        confirmados = {g: await cliente.list_consumer_group_offsets(g) for g in nombres}
    finally:
        await cliente.close()
    finales = await finales_de(bootstrap, sorted({tp.topic for offs in confirmados.values() for tp in offs}))
    filas = []
    for g in nombres:
        por_topico: dict[str, int] = defaultdict(int)
        for tp, om in confirmados[g].items():
            por_topico[tp.topic] += max(0, finales.get(tp, 0) - om.offset)
        estado, instancias = descritos.get(g, ("?", 0))
        filas.append({"grupo": g, "estado": estado, "instancias": instancias,
                      "retraso": sum(por_topico.values()), "por_topico": dict(por_topico)})
    return filas
