"""Fase `recursos`: la CPU de cada servicio en reposo (nada que consumir) y su memoria; y el resumen de la corrida:
la memoria de cada servicio al final de cada fase y su CPU por cada 1000 reportes."""

import asyncio
import time

from alva.rendimiento import procesos
from alva.rendimiento.banco import Banco, avisar
from alva.rendimiento.informe import tabla
from alva.rendimiento.procesos import SERVICIOS


async def medir(banco: Banco) -> dict:
    segundos = banco.opciones.reposo
    await banco.saltar(SERVICIOS)
    instancias = await banco.arrancar({s: 1 for s in SERVICIOS})
    try:
        await banco.al_dia(instancias, banco.opciones.plazo)
        await asyncio.sleep(2)  # que terminen las tareas de arranque
        avisar(f"recursos: CPU en reposo durante {segundos:g} s")
        antes, inicio = banco.cpu(instancias), time.monotonic()
        await asyncio.sleep(segundos)
        despues, transcurrido = banco.cpu(instancias), time.monotonic() - inicio
        usos = banco.anotar_uso("recursos", instancias)
    finally:
        procesos.detener(instancias)
    return {"reposo_s": segundos,
            "cpu_reposo_pct": {k: round((despues[k] - antes[k]) / transcurrido * 100, 1) for k in despues},
            "rss_mb": {k: round(u.rss_mb, 1) for k, u in usos.items()}}


def imprimir(r: dict, resultados: dict) -> str:
    filas = [(s, r["cpu_reposo_pct"].get(s), r["rss_mb"].get(s)) for s in SERVICIOS]
    return tabla(f"En reposo ({r['reposo_s']:g} s sin nada que consumir)", ["servicio", "CPU % de un núcleo",
                                                                             "RSS MB"],
                 [(s, _uno(c), m) for s, c, m in filas], ["Meta: CPU casi cero en reposo."])


def resumen(usos: list[dict], resultados: dict) -> str | None:
    """Memoria de cada servicio al final de cada fase (la mayor de sus instancias) y CPU por 1000 reportes."""
    if not usos:
        return None
    fases = list(dict.fromkeys(fase_de(u) for u in usos))
    rss = {(u["servicio"], fase_de(u)): rss_de(usos, u["servicio"], fase_de(u)) for u in usos}
    cpu = cpu_por_mil(resultados)
    columnas = ["servicio", *(f"RSS {f}" for f in fases), *(f"CPU/1000 {f}" for f in cpu)]
    filas = [(s, *(rss.get((s, f)) for f in fases), *(_dos(cpu[f].get(s)) for f in cpu)) for s in SERVICIOS]
    return tabla("Recursos: RSS en MB al final de cada fase; CPU en segundos por cada 1000 reportes", columnas, filas,
                 ["Meta: cada servicio < 150 MB después de un millón de eventos."])


def fase_de(uso: dict) -> str:
    """"solo capacitacion" y "escala ×2" se resumen en su fase."""
    return uso["fase"].split()[0]


def rss_de(usos: list[dict], servicio: str, fase: str) -> float:
    return max((u["rss_mb"] for u in usos if u["servicio"] == servicio and fase_de(u) == fase), default=0.0)


def cpu_por_mil(resultados: dict) -> dict[str, dict[str, float]]:
    """CPU por 1000 reportes según cada fase que la midió (la mediana de solo; la tasa más alta de latencia)."""
    cpu: dict[str, dict[str, float]] = {}
    if (solo := resultados.get("solo")) and "servicios" in solo:
        cpu["solo"] = {s: v["cpu_s_por_1000"] for s, v in solo["servicios"].items()}
    if (cadena := resultados.get("cadena")) and "cpu_s_por_1000" in cadena:
        cpu["cadena"] = cadena["cpu_s_por_1000"]
    if (latencia := resultados.get("latencia")) and latencia.get("medidas"):
        m = latencia["medidas"][-1]
        cpu[f"{m['tasa']:g}/s"] = m["cpu_s_por_1000"]
    return cpu


def _uno(valor: float | None) -> str:
    return "—" if valor is None else f"{valor:.1f}"


def _dos(valor: float | None) -> str:
    return "—" if valor is None else f"{valor:.2f}"
