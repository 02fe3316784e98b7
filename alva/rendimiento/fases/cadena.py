"""Fase `cadena`: los cuatro servicios juntos; dos ráfagas de N reportes de golpe a convenios que se cumplen con su
último reporte (la primera calienta la plataforma; se mide la segunda), y cuántos reportes por segundo llegan a
`sesion.completada`, al valor final de cada objetivo y al distintivo de cada convenio; y la CPU que cada proceso
(servicios, PostgreSQL, Kafka) gastó por reporte, que dice hasta dónde llegaría la máquina. Antes, los mismos
reportes por la cadena cruda (`alva.rendimiento.cadena_cruda`): cuatro procesos de aiokafka a pelo con el mismo
tráfico por Kafka y un COPY por lote, el techo de la máquina."""

import asyncio
import os
import sys
import time

from alva.rendimiento import cadena_cruda, carga, conexion, procesos
from alva.rendimiento.banco import Banco, avisar
from alva.rendimiento.fases import crudo
from alva.rendimiento.informe import cifra, tabla
from alva.rendimiento.procesos import SERVICIOS
from alva.rendimiento.seguimiento import Seguimiento
from alva.rendimiento.sonda import enviar
from esquemas.distintivos import TOPICO as TOPICO_DISTINTIVOS

REPORTES_POR_CONVENIO = 100


def _carga(banco: Banco, etiqueta: str, n: int) -> tuple[list[carga.Convenio], list[carga.Mensaje]]:
    cuantos = max(1, min(n, max(len(banco.instituciones), n // REPORTES_POR_CONVENIO)))
    instituciones = banco.instituciones
    convenios = [carga.Convenio(instituciones[k % len(instituciones)], f"REND-{banco.corrida}-{etiqueta}-{k}",
                                len(range(k, n, cuantos)), banco.hoy) for k in range(cuantos)]
    return convenios, carga.sesiones(convenios, n, f"{banco.corrida}{etiqueta}")


async def medir(banco: Banco) -> dict:
    """Dos ráfagas iguales por los mismos servicios: la primera recién arrancado todo (el broker aún compila su
    código caliente: su JIT llega a ocupar media CPU de las dos), la segunda con la plataforma ya en marcha, que
    es la que se compara con la meta de un ritmo sostenido."""
    n = banco.opciones.reportes_cadena
    convenios_frio, reportes_frio = _carga(banco, "cadf", n)
    convenios, reportes = _carga(banco, "cad", n)
    cruda = await medir_cruda(banco, reportes)
    await banco.saltar(SERVICIOS)
    instancias = await banco.arrancar({s: 1 for s in SERVICIOS})
    try:
        await registrar(banco, instancias, convenios_frio + convenios)
        frio = await _rafaga(banco, instancias, convenios_frio, reportes_frio, "en frío")
        medida = await _rafaga(banco, instancias, convenios, reportes, "en marcha")
    finally:
        procesos.detener(instancias)
    return medida | {"cruda": cruda, "frio": {k: frio[k] for k in ("envio_s", "segundos", "reportes_s", "vistos")}}


async def _rafaga(banco: Banco, instancias, convenios: list[carga.Convenio], reportes: list[carga.Mensaje],
                  nombre: str) -> dict:
    n, cuantos = len(reportes), len(convenios)
    # En vivo sólo los distintivos (pocos): los sesion.completada y avances de objetivos (decenas de miles) se
    # leen al final, con su hora del broker, para que seguirlos no le quite CPU a la cadena que se mide.
    seguimiento = await Seguimiento.abrir(banco, convenios, en_vivo=[TOPICO_DISTINTIVOS])
    try:
        avisar(f"cadena {nombre}: {n:,} reportes a {cuantos} convenios")
        inicio, reloj = time.monotonic(), time.time()
        cpu, cpu_infra = banco.cpu(instancias), banco.cpu_infra()
        envio = await enviar(reportes)
        await seguimiento.esperar(lambda s: len(s.otorgados) == cuantos,
                                  banco.opciones.plazo - (time.monotonic() - inicio))
        cpu = {k: v - cpu.get(k, 0) for k, v in banco.cpu(instancias).items()}
        cpu_infra = {k: v - cpu_infra[k] for k, v in banco.cpu_infra().items() if k in cpu_infra}
        usos = banco.anotar_uso("cadena", instancias)
        # Un distintivo sale tras el avance que cumplió su convenio, y éste tras los sesion.completada que contó.
        while True:
            await seguimiento.leer_despues()
            if len(seguimiento.completos) == cuantos or time.monotonic() - inicio > banco.opciones.plazo:
                break
            await asyncio.sleep(0.5)
    finally:
        await seguimiento.cerrar()
    hasta = {"capacitacion": _ultimo(seguimiento.sesiones.values(), n),
             "convenios": _ultimo(seguimiento.completos.values(), cuantos),
             "distintivos": _ultimo([t for t, _ in seguimiento.otorgados.values()], cuantos)}
    segundos = {k: t - reloj if t else None for k, t in hasta.items()}
    return {"reportes": n, "convenios": cuantos, "envio_s": envio, "segundos": segundos,
            "reportes_s": {k: n / s if s else None for k, s in segundos.items()},
            "vistos": {"sesiones": len(seguimiento.sesiones), "completos": len(seguimiento.completos),
                       "otorgados": len(seguimiento.otorgados)},
            "cpu_s_por_1000": {k: round(v / n * 1000, 2) for k, v in cpu.items()},
            "cpu_infra_s_por_1000": {k: round(v / n * 1000, 2) for k, v in cpu_infra.items()},
            "nucleos": os.cpu_count(),
            "rss_mb": {k: round(u.rss_mb, 1) for k, u in usos.items()}}


async def medir_cruda(banco: Banco, reportes: list[carga.Mensaje]) -> dict:
    """Los reportes por las cuatro etapas crudas, cada una su proceso; cuándo atiende cada una lo último suyo."""
    n, prefijo = len(reportes), f"rendimiento.{banco.corrida}.cadena"
    topicos = [f"{prefijo}.{t}" for t in cadena_cruda.POR_REPORTE]
    await conexion.crear_topicos(topicos)
    await banco.sonda.esperar_lideres(topicos)
    conn = await conexion.postgres()
    try:
        await crudo.preparar_tablas(conn, cadena_cruda.TABLAS.values())
    finally:
        await conn.close()
    avisar(f"cadena cruda: {n:,} reportes por cuatro etapas de aiokafka a pelo")
    particiones = len(await banco.sonda.particiones(topicos[:1]))
    banco.bitacoras.mkdir(parents=True, exist_ok=True)
    etapas = {}
    for etapa in cadena_cruda.ETAPAS:
        with open(banco.bitacoras / f"cruda-{etapa}.log", "ab") as bitacora:
            etapas[etapa] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "alva.rendimiento.cadena_cruda", etapa, prefijo, str(n), str(particiones),
                stdout=asyncio.subprocess.PIPE, stderr=bitacora, start_new_session=True)
    try:
        cpu_al_arrancar = {}
        for etapa, proceso in etapas.items():
            renglon = await _renglon(proceso, 90)
            if renglon[:1] != ["lista"]:
                raise RuntimeError(f"la etapa cruda {etapa} no arrancó; vea {banco.bitacoras}/cruda-{etapa}.log")
            cpu_al_arrancar[etapa] = float(renglon[1])
        reloj = time.time()
        envio = await enviar(reportes, f"{prefijo}.ingreso")
        limite = time.monotonic() + banco.opciones.plazo
        hechos, cpu = {}, {}
        for etapa, proceso in etapas.items():
            while etapa not in cpu:
                renglon = await _renglon(proceso, limite - time.monotonic())
                if not renglon:
                    raise RuntimeError(f"la etapa cruda {etapa} terminó antes de tiempo; vea "
                                       f"{banco.bitacoras}/cruda-{etapa}.log")
                if renglon[0] == "hecho":
                    hechos[etapa] = float(renglon[1]) - reloj
                elif renglon[0] == "fin":
                    cpu[etapa] = float(renglon[2]) - cpu_al_arrancar[etapa]
    finally:
        for proceso in etapas.values():
            if proceso.returncode is None:
                proceso.kill()
            await proceso.wait()
    medidas = {e: hechos[e] for e in ("capacitacion", "convenios", "distintivos")}  # notificaciones no atiende nada
    return {"envio_s": envio, "segundos": medidas, "reportes_s": {e: n / s for e, s in medidas.items()},
            "cpu_s_por_1000": {e: round(c / n * 1000, 2) for e, c in cpu.items()}}


async def _renglon(proceso, plazo: float) -> list[str]:
    return (await asyncio.wait_for(proceso.stdout.readline(), max(plazo, 0.1))).decode().split()


async def registrar(banco: Banco, instancias, convenios: list[carga.Convenio]) -> None:
    """Los convenios entran por el ingreso del otorgante y recorren la cadena antes de medir (con notificaciones,
    hasta que sale el correo de cada convenio firmado)."""
    avisar(f"registrando {len(convenios)} convenio(s) por alva.ingreso.prodheg")
    esperados = {}
    if any(i.servicio == "notificaciones" for i in instancias):
        esperados["correos"] = (await banco.salidas(["alva.notificaciones"]), len(convenios))
    await enviar([c.reporte() for c in convenios])
    if await banco.al_dia(instancias, banco.opciones.plazo, esperados) is None:
        raise TimeoutError(f"la cadena no registró los convenios en {banco.opciones.plazo:g} s")


def _ultimo(instantes, cuantos: int) -> float | None:
    instantes = list(instantes)
    return max(instantes) if len(instantes) >= cuantos else None


def imprimir(r: dict, resultados: dict) -> str:
    que = {"capacitacion": f"sesion.completada de cada reporte ({r['vistos']['sesiones']:,} de {r['reportes']:,})",
           "convenios": f"valor final de cada objetivo ({r['vistos']['completos']} de {r['convenios']} convenios)",
           "distintivos": f"distintivo de cada convenio ({r['vistos']['otorgados']} de {r['convenios']})"}
    cruda = r["cruda"]
    filas = [(f"hasta {que[k]}", r["segundos"][k], r["reportes_s"][k], cruda["reportes_s"][k]) for k in que]
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in r["cpu_s_por_1000"].items())
    cpu_cruda = ", ".join(f"{k} {v:.2f}" for k, v in cruda["cpu_s_por_1000"].items())
    rss = ", ".join(f"{k} {v:.0f}" for k, v in r["rss_mb"].items())
    frio = r.get("frio")
    notas = [f"CPU s por 1000 reportes: {cpu}", f"Cadena cruda, CPU s por 1000 reportes: {cpu_cruda}",
             f"RSS MB al final: {rss}"]
    if infra := r.get("cpu_infra_s_por_1000"):
        total = sum(r["cpu_s_por_1000"].values()) + sum(infra.values())
        pedido = ", ".join(f"{k} {v:.2f}" for k, v in infra.items())
        notas.insert(1, f"Y lo que la cadena le pide a la infraestructura: {pedido}; en total {total:.2f} s de CPU por "
                        f"1000 reportes: con {r['nucleos']} núcleos y nada más corriendo, la cadena no pasaría de "
                        f"{cifra(r['nucleos'] / total * 1000)} reportes/s")
    if frio:
        ritmos = " / ".join(cifra(frio["reportes_s"][k]) for k in que)
        notas.insert(0, f"La primera ráfaga, igual, con todo recién arrancado (en frío): {ritmos} reportes/s hasta "
                        f"sesion.completada / valor final / distintivo")
    return tabla(f"La cadena completa: {r['reportes']:,} reportes de golpe (enviados en {r['envio_s']:.2f} s) con la "
                 f"plataforma en marcha (la segunda de dos ráfagas iguales), junto a la cadena cruda con el mismo "
                 f"tráfico",
                 ["desde el primer envío", "segundos", "reportes/s", "cruda reportes/s", "de la cruda"],
                 [(a, f"{s:.2f}" if s else "—", v, c, f"{100 * v / c:.0f} %" if v and c else "—")
                  for a, s, v, c in filas], notas)
