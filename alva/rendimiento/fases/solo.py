"""Fase `solo`: cada servicio corriendo sin los demás, con sus entradas ya llenas; se mide desde que su grupo
consume hasta que no tiene retraso y su outbox está vacío, y se compara con la línea base del mismo abanico."""

import time

from alva.rendimiento import procesos
from alva.rendimiento.banco import SALIDA, Banco, avisar, grupo_de
from alva.rendimiento.informe import porcentaje, tabla
from alva.rendimiento.medidas import mediana, por_segundo
from alva.rendimiento.planes import PLANES, Plan, Ronda
from alva.rendimiento.sonda import enviar, tipos_publicados


async def medir(banco: Banco) -> dict:
    n, rondas = banco.opciones.reportes, banco.opciones.rondas
    resultados = {}
    for servicio, planear in PLANES.items():
        plan = planear(banco, n, rondas)
        await preparar(banco, plan)
        medidas = []
        for k, ronda_ in enumerate(plan.rondas, start=1):
            avisar(f"solo {servicio}: ronda {k}/{rondas}, {len(ronda_.mensajes):,} eventos de entrada")
            medidas.append(await ronda(banco, plan.servicio, ronda_, f"solo {servicio}"))
        resultados[servicio] = resumir(plan, medidas)
    return {"reportes": n, "rondas": rondas, "servicios": resultados}


async def preparar(banco: Banco, plan: Plan) -> None:
    """Lo que el servicio debe saber antes de medirlo, procesado sin medir (con el servicio detenido al final)."""
    await banco.saltar([plan.servicio])
    if not plan.preparar:
        return
    avisar(f"{plan.servicio}: preparando su estado ({len(plan.preparar):,} eventos)")
    salida = await banco.salidas(list(SALIDA[plan.servicio]))
    await enviar(plan.preparar)
    instancias = await banco.arrancar({plan.servicio: 1})
    try:
        if await banco.al_dia(instancias, banco.opciones.plazo, {"salida": (salida, plan.esperados_preparar)}) is None:
            raise TimeoutError(f"{plan.servicio} no procesó su estado de partida en {banco.opciones.plazo:g} s")
    finally:
        procesos.detener(instancias)


async def ronda(banco: Banco, servicio: str, ronda_: Ronda, fase: str, instancias_: int = 1, *,
                llena: bool = True) -> dict:
    """Con `llena`, llena la entrada con el servicio detenido, lo arranca y mide desde que su grupo consume; si no,
    arranca las instancias, espera a que el grupo las tenga a todas y entonces llena la entrada de golpe (así una
    instancia que llega primero no se lleva todo). En ambos casos, hasta que no hay retraso ni outbox."""
    salida, rechazos = await banco.salidas(list(SALIDA[servicio])), await banco.salidas(["alva.rechazos"])
    antes = await banco.sonda.finales(await banco.entradas(servicio))
    if llena:
        await enviar(ronda_.mensajes)
    instancias = []
    try:
        asignaciones = await _unir(banco, servicio, instancias_, instancias, escalonadas=not llena)
        inicio, cpu = time.monotonic(), banco.cpu(instancias)  # con la entrada llena, ya consume
        await banco.listas(instancias)
        if not llena:
            inicio, cpu = time.monotonic(), banco.cpu(instancias)
            await enviar(ronda_.mensajes)
        fin = await banco.al_dia(instancias, banco.opciones.plazo, {"salida": (salida, ronda_.esperados)})
        cpu = {nombre: s - cpu.get(nombre, 0) for nombre, s in banco.cpu(instancias).items()}
        procesados = [_procesados(await procesos.metricas(i)) for i in instancias]
        usos = banco.anotar_uso(fase, instancias)
    finally:
        procesos.detener(instancias)
    despues = await banco.sonda.finales(antes)
    activas = {tp for tp in antes if despues[tp] > antes[tp]}
    propios = sum(m.topico == "alva.rechazos" for m in ronda_.mensajes)  # a notificaciones se le envían rechazos
    return {"segundos": fin - inicio if fin else None, "reportes": ronda_.reportes,
            "eventos_entrada": sum(despues[tp] - antes[tp] for tp in activas),
            "publicados": await banco.publicados(salida), "rechazos": await banco.publicados(rechazos) - propios,
            "tipos": dict(await tipos_publicados(salida)) if servicio == "distintivos" else None,
            "cpu_s": round(sum(cpu.values()), 2), "rss_mb": {k: round(u.rss_mb, 1) for k, u in usos.items()},
            "particiones_activas": [len([tp for tp in a if tp in activas]) for a in asignaciones],
            "procesados_por_instancia": procesados}


async def _unir(banco: Banco, servicio: str, cuantas: int, instancias: list, *, escalonadas: bool) -> list:
    """Arranca las instancias (en `instancias`, para que quien llama las detenga aun si algo falla) y espera a que el
    grupo las tenga a todas con particiones. Antes espera a que las de la ronda anterior hayan salido del grupo.

    `escalonadas`: una a una, cada una cuando el grupo ya es estable con las anteriores, como un arranque escalonado
    en producción. Varias uniéndose a la vez a un grupo que otras acababan de dejar lo dejaron alguna vez en
    PreparingRebalance más de 90 s (Kafka 4.1.1, protocolo clásico); de una en una, cada unión es un rebalanceo
    corto entre miembros que ya latían."""
    grupo = grupo_de(servicio)
    await banco.sonda.esperar_vacio(grupo)
    vivas = lambda: all(i.proceso.poll() is None for i in instancias)  # noqa: E731
    tandas = [1] * cuantas if escalonadas else [cuantas]
    for tanda in tandas:
        instancias += [procesos.arrancar(servicio, len(instancias) + k, banco.bitacoras) for k in range(1, tanda + 1)]
        asignaciones = await banco.sonda.esperar_estable(grupo, len(instancias), vivos=vivas)
    return asignaciones


def _procesados(metricas: dict[str, float]) -> float | None:
    return metricas.get("alva_eventos_procesados_total", 0.0) if metricas else None


def resumir(plan: Plan, medidas: list[dict]) -> dict:
    segundos = mediana([m["segundos"] for m in medidas])
    ultima = medidas[-1]
    cpu_por_mil = mediana([m["cpu_s"] / m["reportes"] * 1000 for m in medidas if m["reportes"]])
    return {"base": plan.base, "compara": plan.por_reporte, "segundos": segundos,
            "reportes_s": por_segundo(ultima["reportes"], segundos),
            "eventos_entrada_s": por_segundo(ultima["eventos_entrada"], segundos),
            "eventos_salida_s": por_segundo(ultima["publicados"], segundos),
            "rechazos": sum(m["rechazos"] for m in medidas), "cpu_s_por_1000": cpu_por_mil,
            "rss_mb": max(max(m["rss_mb"].values(), default=0) for m in medidas), "rondas": medidas}


BASES = {"abanico": "1→4", "copia": "COPY 1:1", "correo": "correo 1:1"}
COMPARA = {"reportes": "reportes_s", "eventos": "eventos_entrada_s", "salida": "eventos_salida_s"}


def proporcion(servicio: dict, crudo: dict | None) -> tuple[str, float | None]:
    """La base con el mismo abanico (en la misma unidad que el servicio) y qué fracción de ella alcanzó."""
    if not crudo or not crudo.get(servicio["base"], {}).get("reportes_s"):
        return BASES[servicio["base"]], None
    base = crudo[servicio["base"]]["reportes_s"]
    propio = servicio[COMPARA[servicio["compara"]]]
    return f"{BASES[servicio['base']]} {base:,.0f}/s", propio / base if propio else None


def imprimir(r: dict, resultados: dict) -> str:
    crudo, filas = resultados.get("raw"), []
    for nombre, s in r["servicios"].items():
        base, fraccion = proporcion(s, crudo)
        filas.append((nombre, s["reportes_s"], s["eventos_entrada_s"], s["eventos_salida_s"], base,
                      porcentaje(fraccion), s["rechazos"], _decimal(s["cpu_s_por_1000"]), s["rss_mb"]))
    notas = ["% de la base: capacitacion en reportes/s contra 1→4; convenios y distintivos en eventos de entrada/s "
             "contra 1:1 con COPY; notificaciones en correos entregados y publicados por segundo contra la base que "
             "envía un correo por mensaje al mismo buzón (meta: ≥ 30 %)."]
    for nombre, s in r["servicios"].items():
        if s["rechazos"]:
            notas.append(f"¡{nombre} rechazó {s['rechazos']:,} entradas! La carga no es la que se quería medir.")
    if not crudo or "error" in crudo:
        notas.append("Sin la fase raw en esta corrida no hay base con que comparar (--fases raw,solo).")
    return tabla(f"Cada servicio solo ({r['reportes']:,} reportes; mediana de {r['rondas']} ronda(s))",
                 ["servicio", "reportes/s", "entrada ev/s", "salida ev/s", "base", "% base", "rechazos",
                  "CPU s/1000 rep", "RSS MB"], filas, notas)


def _decimal(valor: float | None) -> str:
    return "—" if valor is None else f"{valor:.2f}"
