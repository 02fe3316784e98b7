"""Fase `escala`: capacitacion con 1, 2 y 3 instancias en el mismo grupo; cuánto rinde cada vez y qué tan parejo
reparte Kafka las particiones que traen trabajo (según el grupo) y los eventos (según cada instancia).

Las instancias arrancan y se unen al grupo antes de llenar la entrada: con la entrada ya llena, la primera en
unirse se llevaría casi todo antes de que llegaran las demás."""

from alva.rendimiento import planes
from alva.rendimiento.banco import Banco, avisar
from alva.rendimiento.fases import solo
from alva.rendimiento.informe import tabla
from alva.rendimiento.medidas import por_segundo

SERVICIO = "capacitacion"


async def medir(banco: Banco) -> dict:
    n, cuantas = banco.opciones.reportes, banco.opciones.instancias
    plan = planes.capacitacion(banco, n, len(cuantas), etiqueta="esc")
    await solo.preparar(banco, plan)
    medidas = []
    for instancias, ronda in zip(cuantas, plan.rondas, strict=True):
        avisar(f"escala: {SERVICIO} con {instancias} instancia(s), {n:,} reportes")
        m = await solo.ronda(banco, SERVICIO, ronda, f"escala ×{instancias}", instancias, llena=False)
        medidas.append({"instancias": instancias, "reportes_s": por_segundo(m["reportes"], m["segundos"]),
                        "eventos_salida_s": por_segundo(m["publicados"], m["segundos"]), **m})
    return {"reportes": n, "servicio": SERVICIO, "medidas": medidas}


def imprimir(r: dict, resultados: dict) -> str:
    una = r["medidas"][0]["reportes_s"] if r["medidas"] else None
    filas = [(f"{m['instancias']} instancia(s)", m["reportes_s"], m["eventos_salida_s"],
              f"×{m['reportes_s'] / una:.2f}" if una and m["reportes_s"] else "—",
              " / ".join(str(p) for p in m["particiones_activas"]),
              " / ".join(f"{p:,.0f}" if p is not None else "—" for p in m["procesados_por_instancia"]),
              m["rechazos"]) for m in r["medidas"]]
    return tabla(f"Escala: {r['servicio']} en un grupo ({r['reportes']:,} reportes por medida)",
                 ["instancias", "reportes/s", "salida ev/s", "vs 1", "particiones activas por miembro",
                  "eventos por instancia", "rechazos"], filas,
                 ["Con el grupo ya formado, la entrada se llena de golpe; se mide desde el primer envío.",
                  "Particiones activas: las que recibieron reportes, asignadas a cada miembro del grupo; eventos: los "
                  "que cuenta cada instancia (alva_eventos_procesados_total)."])
