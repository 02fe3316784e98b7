"""Fase `latencia`: los cuatro servicios a tasas fijas (50, 200, 1000 reportes/s) durante un tiempo fijo; p50/p99
del envío de cada reporte a su `sesion.completada`, al avance de objetivos que causa y al distintivo (convenios
chicos que se cumplen a los pocos reportes, así hay otorgamientos durante la ventana), y si algún servicio se
atrasa (su retraso crece durante la ventana)."""

import asyncio
import time

from alva.rendimiento import conexion, procesos
from alva.rendimiento.banco import Banco, avisar, grupo_de
from alva.rendimiento.carga import Convenio, Mensaje
from alva.rendimiento.fases.cadena import registrar
from alva.rendimiento.informe import tabla
from alva.rendimiento.medidas import pendiente, percentil, se_atrasa
from alva.rendimiento.procesos import SERVICIOS
from alva.rendimiento.seguimiento import Seguimiento

# Eventos que entran a cada grupo por reporte, aprox. (cada uno lee también lo que no usa de sus tópicos).
POR_REPORTE = {"capacitacion": 3, "convenios": 5, "distintivos": 7, "notificaciones": 2}


async def medir(banco: Banco) -> dict:
    o = banco.opciones
    cargas = {tasa: carga_a(banco, tasa) for tasa in o.tasas}
    await banco.saltar(SERVICIOS)
    instancias = await banco.arrancar({s: 1 for s in SERVICIOS})
    try:
        await registrar(banco, instancias, [c for chicos, grandes, _ in cargas.values() for c in chicos + grandes])
        medidas = [await a_tasa(banco, instancias, tasa, chicos, reportes)
                   for tasa, (chicos, _, reportes) in cargas.items()]
        banco.anotar_uso("latencia", instancias)
    finally:
        procesos.detener(instancias)
    return {"ventana_s": o.duracion, "reportes_por_convenio": o.reportes_por_convenio,
            "otorgamientos_s": o.otorgamientos, "medidas": medidas}


def carga_a(banco: Banco, tasa: float) -> tuple[list[Convenio], list[Convenio], list[Mensaje]]:
    """Los reportes de una ventana: casi todos a un convenio grande por institución (que no se cumple), y
    repartidos a lo largo de la ventana, los de convenios chicos que se cumplen a los pocos reportes (unos
    `--otorgamientos` por segundo), para que haya distintivos otorgados durante la ventana."""
    o, instituciones, etiqueta = banco.opciones, banco.instituciones, f"REND-{banco.corrida}-lat{tasa:g}"
    n, k = max(1, round(tasa * o.duracion)), o.reportes_por_convenio
    grandes = [Convenio(i, f"{etiqueta}-g{j}", 10 * n, banco.hoy) for j, i in enumerate(instituciones)]
    chicos = [Convenio(instituciones[j % len(instituciones)], f"{etiqueta}-c{j}", k, banco.hoy)
              for j in range(max(1, min(n // k, round(o.otorgamientos * o.duracion))))]
    paso = n / (len(chicos) * k)
    de_chicos = {int(m * paso): (chicos[m // k], m) for m in range(len(chicos) * k)}
    serie = f"S-{banco.corrida}lat{tasa:g}"
    reportes = [de_chicos[r][0].sesion(f"{serie}-c{de_chicos[r][1]}") if r in de_chicos
                else grandes[r % len(grandes)].sesion(f"{serie}-g{r}") for r in range(n)]
    return chicos, grandes, reportes


async def a_tasa(banco: Banco, instancias, tasa: float, chicos: list[Convenio], reportes: list[Mensaje]) -> dict:
    entradas = {s: await banco.entradas(s) for s in SERVICIOS}
    muestras: dict[str, list[tuple[float, float]]] = {s: [] for s in SERVICIOS}
    avisar(f"latencia: {tasa:g} reportes/s, {len(reportes):,} reportes ({len(chicos)} convenios por otorgar)")
    seguimiento = await Seguimiento.abrir(banco, chicos)
    muestreo = asyncio.create_task(_muestrear(banco, entradas, muestras))
    cpu = banco.cpu(instancias)
    try:
        envios, ventana = await _enviar_a_tasa(reportes, tasa)
        muestreo.cancel()
        await asyncio.gather(muestreo, return_exceptions=True)
        inicio = time.monotonic()
        await seguimiento.esperar(lambda s: len(s.otorgados) >= len(chicos) and len(s.avances) >= len(reportes),
                                  max(10.0, 2 * ventana))
        al_dia = await banco.al_dia(instancias, banco.opciones.plazo)  # lo que llegue mientras, también cuenta
    finally:
        await seguimiento.cerrar()
    cpu = {k: v - cpu.get(k, 0) for k, v in banco.cpu(instancias).items()}
    return {"tasa": tasa, "reportes": len(reportes), "ventana_s": round(ventana, 2),
            "sesion_ms": _percentiles(seguimiento.sesiones, envios),
            "avance_ms": _percentiles(seguimiento.avances, envios),
            "distintivo_ms": _percentiles({r: t for t, r in seguimiento.otorgados.values()}, envios),
            "vistos": {"sesiones": len(seguimiento.sesiones), "avances": len(seguimiento.avances),
                       "otorgados": len(seguimiento.otorgados), "convenios": len(chicos)},
            "retraso": {s: {"final": m[-1][1] if m else None, "max": max((v for _, v in m), default=None),
                            "pendiente_s": pendiente(m), "se_atrasa": se_atrasa(m, tasa * POR_REPORTE[s])}
                        for s, m in muestras.items()},
            "al_dia_tras_s": round(al_dia - inicio, 1) if al_dia else None,
            "cpu_s_por_1000": {k: round(v / len(reportes) * 1000, 2) for k, v in cpu.items()}}


def _percentiles(llegadas: dict[str, float], envios: dict[str, float]) -> dict:
    demoras = [(llegadas[i] - enviado) * 1000 for i, enviado in envios.items() if i in llegadas]
    return {"p50": percentil(demoras, 50), "p99": percentil(demoras, 99), "n": len(demoras)}


async def _enviar_a_tasa(reportes: list[Mensaje], tasa: float) -> tuple[dict[str, float], float]:
    """Cada reporte a su hora (sin linger: el reloj corre desde que la institución lo envía)."""
    productor = await conexion.productor(linger_ms=0)
    envios, confirmaciones = {}, []
    try:
        inicio = time.monotonic()
        for i, m in enumerate(reportes):
            if (espera := inicio + i / tasa - time.monotonic()) > 0:
                await asyncio.sleep(espera)
            envios[m.id] = time.time()
            confirmaciones.append(await productor.send(m.topico, m.valor, key=m.llave, headers=m.cabeceras))
        await asyncio.gather(*confirmaciones)
        return envios, time.monotonic() - inicio
    finally:
        await productor.stop()


async def _muestrear(banco: Banco, entradas: dict, muestras: dict) -> None:
    inicio = time.monotonic()
    while True:
        for servicio, tps in entradas.items():
            muestras[servicio].append((time.monotonic() - inicio, await banco.sonda.retraso(grupo_de(servicio), tps)))
        await asyncio.sleep(0.5)


def imprimir(r: dict, resultados: dict) -> str:
    filas = []
    for m in r["medidas"]:
        atrasados = [s for s, a in m["retraso"].items() if a["se_atrasa"]]
        sin_datos = all(a["se_atrasa"] is None for a in m["retraso"].values())
        filas.append((f"{m['tasa']:g}/s", m["reportes"], *_p(m["sesion_ms"]), *_p(m["avance_ms"]),
                      *_p(m["distintivo_ms"]), f"{m['vistos']['avances']:,}/{m['reportes']:,}",
                      f"{m['vistos']['otorgados']}/{m['vistos']['convenios']}",
                      "— (ventana corta)" if sin_datos else ", ".join(atrasados) or "ninguno",
                      "—" if m["al_dia_tras_s"] is None else f"{m['al_dia_tras_s']:.1f}"))
    return tabla(f"Latencia a tasa fija ({r['ventana_s']:g} s por tasa; ms desde el envío de cada reporte; "
                 f"{r['otorgamientos_s']:g} convenios/s se cumplen a los {r['reportes_por_convenio']} reportes)",
                 ["tasa", "reportes", "sesión p50", "p99", "avance p50", "p99", "distintivo p50", "p99", "avances",
                  "otorgados", "se atrasa", "al día tras s"], filas,
                 ["Se atrasa: en la segunda mitad de la ventana, el retraso de su grupo crece más de 5 % de lo que le "
                  "entra por segundo. Metas a 200/s: avance p99 < 250 ms, distintivo p99 < 500 ms, nadie se atrasa."])


def _p(percentiles: dict) -> tuple:
    return percentiles["p50"], percentiles["p99"]
