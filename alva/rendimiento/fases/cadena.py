"""Fase `cadena`: los cuatro servicios juntos; N reportes de golpe a convenios que se cumplen con su último
reporte, y cuántos reportes por segundo llegan a `sesion.completada`, al valor final de cada objetivo y al
distintivo de cada convenio."""

import time

from alva.rendimiento import carga, procesos
from alva.rendimiento.banco import Banco, avisar
from alva.rendimiento.informe import tabla
from alva.rendimiento.procesos import SERVICIOS
from alva.rendimiento.seguimiento import Seguimiento
from alva.rendimiento.sonda import enviar

REPORTES_POR_CONVENIO = 100


async def medir(banco: Banco) -> dict:
    n = banco.opciones.reportes
    cuantos = max(1, min(n, max(len(banco.instituciones), n // REPORTES_POR_CONVENIO)))
    instituciones = banco.instituciones
    convenios = [carga.Convenio(instituciones[k % len(instituciones)], f"REND-{banco.corrida}-cad-{k}",
                                len(range(k, n, cuantos)), banco.hoy) for k in range(cuantos)]
    reportes = carga.sesiones(convenios, n, f"{banco.corrida}cad")
    await banco.saltar(SERVICIOS)
    instancias = await banco.arrancar({s: 1 for s in SERVICIOS})
    try:
        await registrar(banco, instancias, convenios)
        seguimiento = await Seguimiento.abrir(banco, convenios)
        try:
            avisar(f"cadena: {n:,} reportes a {cuantos} convenios")
            inicio, reloj, cpu = time.monotonic(), time.time(), banco.cpu(instancias)
            envio = await enviar(reportes)
            await seguimiento.esperar(lambda s: len(s.otorgados) == cuantos and len(s.completos) == cuantos,
                                      banco.opciones.plazo - (time.monotonic() - inicio))
        finally:
            await seguimiento.cerrar()
        cpu = {k: v - cpu.get(k, 0) for k, v in banco.cpu(instancias).items()}
        usos = banco.anotar_uso("cadena", instancias)
    finally:
        procesos.detener(instancias)
    hasta = {"capacitacion": _ultimo(seguimiento.sesiones.values(), n),
             "convenios": _ultimo(seguimiento.completos.values(), cuantos),
             "distintivos": _ultimo([t for t, _ in seguimiento.otorgados.values()], cuantos)}
    segundos = {k: t - reloj if t else None for k, t in hasta.items()}
    return {"reportes": n, "convenios": cuantos, "envio_s": envio, "segundos": segundos,
            "reportes_s": {k: n / s if s else None for k, s in segundos.items()},
            "vistos": {"sesiones": len(seguimiento.sesiones), "completos": len(seguimiento.completos),
                       "otorgados": len(seguimiento.otorgados)},
            "cpu_s_por_1000": {k: round(v / n * 1000, 2) for k, v in cpu.items()},
            "rss_mb": {k: round(u.rss_mb, 1) for k, u in usos.items()}}


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
    filas = [(f"hasta {que[k]}", r["segundos"][k], r["reportes_s"][k]) for k in que]
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in r["cpu_s_por_1000"].items())
    rss = ", ".join(f"{k} {v:.0f}" for k, v in r["rss_mb"].items())
    return tabla(f"La cadena completa: {r['reportes']:,} reportes de golpe (enviados en {r['envio_s']:.2f} s)",
                 ["desde el primer envío", "segundos", "reportes/s"], [(a, f"{s:.2f}" if s else "—", v)
                                                                      for a, s, v in filas],
                 [f"CPU s por 1000 reportes: {cpu}", f"RSS MB al final: {rss}"])
