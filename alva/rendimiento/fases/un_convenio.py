"""Fase `un-convenio`: N reportes (100 000) a un solo convenio, de golpe, por capacitacion, convenios y distintivos;
el ritmo de cada servicio por decil, del primer 10 % al último: con trabajo constante por evento, es plano.

El avance de cada servicio se lee en los offsets que su grupo confirma en el tópico que trae su trabajo, cada
0.2 s (con pocos reportes, un decil dura menos que un lote y su ritmo no dice nada)."""

import asyncio
import time

from alva.rendimiento import procesos
from alva.rendimiento.banco import Banco, avisar, grupo_de
from alva.rendimiento.carga import Convenio
from alva.rendimiento.fases.cadena import registrar
from alva.rendimiento.informe import tabla
from alva.rendimiento.medidas import instante_en, ritmo_por_decil
from alva.rendimiento.sonda import enviar
from esquemas.ingreso import topico_ingreso

# Dónde está el trabajo de cada servicio (su avance se lee en los offsets que confirma ahí) y cuántos eventos
# trae ahí cada reporte: el reporte mismo, o la sesión que publica capacitacion (sus constancias van aparte).
POR_REPORTE = {"capacitacion": 1, "convenios": 1, "distintivos": 1}


def trabajo(servicio: str, convenio: Convenio) -> str:
    return topico_ingreso(convenio.institucion) if servicio == "capacitacion" else "alva.capacitacion"


async def medir(banco: Banco) -> dict:
    n = banco.opciones.reportes_un_convenio
    convenio = Convenio(banco.instituciones[0], f"REND-{banco.corrida}-uno", 10 * n, banco.hoy)  # nunca se cumple
    await banco.saltar(POR_REPORTE)
    instancias = await banco.arrancar({s: 1 for s in POR_REPORTE})
    try:
        await registrar(banco, instancias, [convenio])
        entradas = {s: await banco.sonda.particiones([trabajo(s, convenio)]) for s in POR_REPORTE}
        base = {s: sum((await banco.sonda.confirmados(grupo_de(s), tps)).values()) for s, tps in entradas.items()}
        avisar(f"un-convenio: preparando {n:,} reportes para {convenio.convenio_id}")
        reportes = [convenio.sesion(f"S-{banco.corrida}uno-{i}") for i in range(n)]
        avisar(f"un-convenio: enviando {n:,} reportes y siguiendo cada grupo")
        inicio, cpu = time.monotonic(), banco.cpu(instancias)
        envio = asyncio.create_task(enviar(reportes))
        avance, completo = await _seguir(banco, entradas, base, {s: k * n for s, k in POR_REPORTE.items()}, inicio)
        await envio
        cpu = {k: round((v - cpu.get(k, 0)) / n * 1000, 2) for k, v in banco.cpu(instancias).items()}
        banco.anotar_uso("un-convenio", instancias)
    finally:
        procesos.detener(instancias)
    totales = {s: POR_REPORTE[s] * n for s in POR_REPORTE}
    return {"reportes": n, "convenio": convenio.convenio_id, "completo": completo, "cpu_s_por_1000": cpu,
            "ritmos": {s: ritmo_por_decil(0.0, avance[s], totales[s], n) for s in POR_REPORTE},
            "segundos": {s: instante_en(avance[s], totales[s]) for s in POR_REPORTE}}


async def _seguir(banco: Banco, entradas: dict, base: dict, totales: dict, inicio: float):
    """Cuántos eventos de su trabajo confirmó cada grupo, cada 0.2 s, hasta que todos terminan."""
    avance: dict[str, list[tuple[float, float]]] = {s: [] for s in entradas}
    limite = inicio + banco.opciones.plazo
    while time.monotonic() < limite:
        ahora = time.monotonic() - inicio
        for s, tps in entradas.items():
            avance[s].append((ahora, sum((await banco.sonda.confirmados(grupo_de(s), tps)).values()) - base[s]))
        if all(avance[s][-1][1] >= totales[s] for s in entradas):
            return avance, True
        await asyncio.sleep(0.2)
    return avance, False


def imprimir(r: dict, resultados: dict) -> str:
    filas = []
    for s, ritmos in r["ritmos"].items():
        primero, ultimo = ritmos[0], ritmos[-1]
        segundos = r["segundos"][s]
        filas.append((s, *ritmos, f"{ultimo / primero:.2f}" if primero and ultimo else "—",
                      "—" if segundos is None else f"{segundos:.1f}"))
    notas = [f"CPU s por 1000 reportes: {', '.join(f'{k} {v:.2f}' for k, v in r['cpu_s_por_1000'].items())}",
             "Meta: el ritmo del último decil igual al del primero (último/primero ≈ 1)."]
    if r["reportes"] < 10_000:
        notas.insert(0, "Con menos de 10 000 reportes un decil cabe en pocos lotes (los offsets avanzan por lote): "
                        "estos ritmos por decil son ruido.")
    if not r["completo"]:
        notas.insert(0, "No terminó en el plazo (--plazo); los deciles sin terminar quedan en —.")
    return tabla(f"Un convenio, {r['reportes']:,} reportes: reportes/s por decil, del primer 10 % al último",
                 ["servicio", *(f"{d}0 %" for d in range(1, 11)), "último/primero", "total s"], filas, notas)
