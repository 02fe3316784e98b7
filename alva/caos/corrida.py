"""Una corrida completa: preparar, cargar con fallas y entradas hostiles, esperar la quietud, contar y juzgar."""

import asyncio
import os
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from alva.caos import bd, informe, recuento
from alva.caos.carga import Carga, enviar_catalogo, enviar_hostil, enviar_reporte, momentos
from alva.caos.catalogo import CATALOGO, Blanco
from alva.caos.fallas import Fallas, programa
from alva.caos.kafka import Monitor, Productores, alta, baja
from alva.caos.plan import Plan, armar
from alva.caos.procesos import SERVICIOS, Servicios
from alva.caos.quietud import Quietud, esperar_quietud
from alva.caos.veredicto import Observado, juzgar
from alva.escenario import OTORGANTE
from esquemas.ingreso import topico_ingreso
from infra import entorno as infra


@dataclass
class Opciones:
    instituciones: int
    reportes: int
    ritmo: float
    reenvios: int
    muertes: int
    falla_broker: bool
    falla_postgres: bool
    semilla: int
    plazo: float
    plazo_final: float
    pendientes_plazo: float
    puerto_base: int
    conservar_hostil: bool = False


def blanco(plan: Plan) -> Blanco:
    return Blanco(plan.hostil, plan.convenio_hostil, plan.convenio_cancelado, f"CAOS-{plan.corrida}-INEXISTENTE",
                  plan.instituciones[0], plan.reportes[0], plan.inicio, plan.fin)


def personas_enviadas(plan: Plan, confirmados: set[str]) -> dict[str, int]:
    personas: dict[str, set[str]] = {c: set() for c in plan.convenios.values()}
    for r in plan.reportes:
        if str(r.evento.id) in confirmados:
            personas[r.evento.data["convenio_id"]].update(r.evento.data["asistentes"])
    return {c: len(p) for c, p in personas.items()}


async def correr(op: Opciones, corrida: str, buzon: Path | None, avisar=print) -> int:
    plan = armar(corrida, op.instituciones, op.reportes, op.reenvios, op.semilla)
    carpeta = infra.carpeta_datos() / "caos" / corrida
    monitor, productores = Monitor(), Productores()
    await alta([*plan.instituciones, plan.hostil, OTORGANTE])
    inicios = await recuento.finales_canonicos(monitor)
    servicios = Servicios(carpeta / "bitacoras", {s: op.puerto_base + k for k, s in enumerate(SERVICIOS)},
                          {"ALVA_PENDIENTES_PLAZO_S": f"{op.pendientes_plazo:g}", "ALVA_PERIODO_S": "5"})
    vigia = None
    quietudes: list[tuple[str, Quietud]] = []
    try:
        servicios.arrancar_todos()
        vigia = asyncio.create_task(servicios.vigilar())
        avisar(f"servicios listos en {await servicios.esperar_listos():.1f} s (bitácoras en {servicios.bitacoras})")
        for r in plan.firmas:
            await enviar_reporte(productores, r, r.evento.a_json())
        quietudes.append(("convenios firmados", await esperar_quietud(monitor, 120, 2, avisar=avisar)))

        origen = time.monotonic()
        servicios.origen = origen
        carga, fallas = Carga(plan, productores, op.ritmo, origen), Fallas(servicios, monitor, origen)
        plan_fallas = programa(op.semilla, carga.duracion_s, op.muertes, op.falla_broker, op.falla_postgres)
        durante = [h for h in CATALOGO if not h.al_final]
        avisar(f"carga: {op.reportes} reportes a {op.ritmo:g}/s ({carga.duracion_s:.0f} s), {len(plan_fallas)} "
               f"fallas, {len(durante)} entradas hostiles durante la carga y {len(CATALOGO) - len(durante)} al final")
        _, _, enviados = await asyncio.gather(
            carga.correr(), fallas.correr(plan_fallas),
            enviar_catalogo(productores, durante, momentos(op.semilla, durante, carga.duracion_s), blanco(plan),
                            origen, carga, fallas.kafka_caido))
        avisar(f"carga enviada en {time.monotonic() - origen:.0f} s; esperando quietud (plazo {op.plazo:g} s)")
        huella_buzon = lambda: recuento.cuantos_correos(buzon)  # noqa: E731
        quietudes.append(("tras la carga", await esperar_quietud(monitor, op.plazo, 5, huella_buzon, avisar)))
        for h in (h for h in CATALOGO if h.al_final):
            enviados.append(await enviar_hostil(productores, h, blanco(plan), origen))
        quietudes.append(("tras las entradas finales",
                          await esperar_quietud(monitor, op.plazo_final, 5, huella_buzon, avisar)))
        await fallas.terminar()

        finales = await recuento.finales_canonicos(monitor)
        hechos, rechazos = await recuento.hechos_y_rechazos(inicios, finales, f"caos-{corrida}-")
        convenios = list(plan.convenios.values())
        observado = Observado(
            enviados={str(r.evento.id): r.evento.data["convenio_id"] for r in plan.reportes
                      if str(r.evento.id) in carga.confirmados},
            hechos=hechos, rechazos=rechazos,
            hostiles=[{**asdict(e), "codigo_esperado": h.codigo} for h in CATALOGO for e in enviados
                      if e.nombre == h.nombre],
            personas_bd=await bd.personas_capacitadas(convenios),
            personas_esperadas=personas_enviadas(plan, carga.confirmados),
            cumplibles=set(convenios), sin_cumplir={plan.convenio_hostil, plan.convenio_cancelado},
            enlaces={c: f"enlace@{i}.example" for i, c in plan.convenios.items()},
            correos=recuento.correos(buzon, f"caos-{corrida}-") if buzon else None,
            no_enviados=carga.fallidos,
            quietudes=[{"fase": f, **asdict(q)} for f, q in quietudes])
        juicio = juzgar(observado)
        informe.imprimir(juicio, fallas.ocurridas, servicios.caidas)
        ruta = carpeta / "veredicto.json"
        informe.guardar(ruta, {"corrida": corrida, "fecha": datetime.now().isoformat(timespec="seconds"),
                               "opciones": asdict(op), "reenvios_confirmados": carga.reenvios_confirmados,
                               "distintivos_en_bd": await bd.distintivos(convenios + [plan.convenio_hostil])},
                        juicio, fallas.ocurridas, servicios.caidas)
        avisar(f"\n{'Todo en orden' if juicio['ok'] else 'FALLA'}: corrida {corrida}, semilla {op.semilla}; "
               f"cifras en {ruta}; bitácoras en {servicios.bitacoras}")
        return 0 if juicio["ok"] else 1
    finally:
        if vigia:
            vigia.cancel()
        await asyncio.to_thread(servicios.detener)
        await productores.cerrar()
        await monitor.cerrar()
        if not op.conservar_hostil:
            await baja([topico_ingreso(plan.hostil)])


def falla_posible(variable: str) -> bool:
    """Sólo se puede matar o parar lo embebido (lo que arrancó infra), no un servidor que nombra el entorno."""
    return not os.environ.get(variable)
