"""Una corrida completa: preparar, cargar con fallas y entradas hostiles, esperar la quietud, contar y juzgar."""

import asyncio
import importlib
import os
import time
from contextlib import contextmanager
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
from plataforma.kafka import conexion_desde_entorno
from plataforma.reconstruccion import reconstruir


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
    reconstruir: bool = True


def blanco(plan: Plan) -> Blanco:
    return Blanco(plan.hostil, plan.convenio_hostil, plan.convenio_cancelado, f"CAOS-{plan.corrida}-INEXISTENTE",
                  plan.instituciones[0], plan.reportes[0], plan.inicio, plan.fin)


def personas_enviadas(plan: Plan, confirmados: set[str]) -> dict[str, int]:
    personas: dict[str, set[str]] = {c: set() for c in plan.convenios.values()}
    for r in plan.reportes:
        if str(r.evento.id) in confirmados:
            personas[r.evento.data["convenio_id"]].update(r.evento.data["asistentes"])
    return {c: len(p) for c, p in personas.items()}


class Corrida:
    """Las fases de una corrida, en orden; lo que cada una deja lo usa la siguiente."""

    def __init__(self, op: Opciones, corrida: str, carpeta: Path, buzon: Path | None, avisar=print) -> None:
        self.op, self.corrida, self.buzon, self.avisar = op, corrida, buzon, avisar
        self.plan = armar(corrida, op.instituciones, op.reportes, op.reenvios, op.semilla)
        self.carpeta = carpeta
        self.monitor, self.productores = Monitor(), Productores()
        self.servicios = Servicios(self.carpeta / "bitacoras",
                                   {s: op.puerto_base + k for k, s in enumerate(SERVICIOS)},
                                   {"ALVA_PENDIENTES_PLAZO_S": f"{op.pendientes_plazo:g}", "ALVA_PERIODO_S": "5"})
        self.quietudes: list[tuple[str, Quietud]] = []
        self.reconstrucciones: list[dict] = []
        self.republicados: int | None = None
        self.enviados: list = []
        self.origen = time.monotonic()

    async def preparar(self) -> None:
        """Alta de las instituciones, los servicios en marcha y los convenios firmados (y uno cancelado)."""
        await alta([*self.plan.instituciones, self.plan.hostil, OTORGANTE])
        self.inicios = await recuento.finales_canonicos(self.monitor)
        self.servicios.arrancar_todos()
        self.vigia = asyncio.create_task(self.servicios.vigilar())
        listos = await self.servicios.esperar_listos()
        self.avisar(f"servicios listos en {listos:.1f} s (bitácoras en {self.servicios.bitacoras})")
        for r in self.plan.firmas:
            await enviar_reporte(self.productores, r, r.evento.a_json())
        self.quietudes.append(("convenios firmados", await esperar_quietud(self.monitor, 120, 2, avisar=self.avisar)))

    async def cargar(self) -> None:
        """La carga, las fallas y el catálogo hostil a la vez, cada uno a sus momentos."""
        op, self.origen = self.op, time.monotonic()
        self.servicios.origen = self.origen
        self.carga = Carga(self.plan, self.productores, op.ritmo, self.origen)
        self.fallas = Fallas(self.servicios, self.monitor, self.origen)
        plan_fallas = programa(op.semilla, self.carga.duracion_s, op.muertes, op.falla_broker, op.falla_postgres)
        durante = [h for h in CATALOGO if not h.al_final]
        self.avisar(f"carga: {op.reportes} reportes a {op.ritmo:g}/s ({self.carga.duracion_s:.0f} s), "
                    f"{len(plan_fallas)} fallas, {len(durante)} entradas hostiles durante la carga y "
                    f"{len(CATALOGO) - len(durante)} al final")
        _, _, self.enviados = await asyncio.gather(
            self.carga.correr(), self.fallas.correr(plan_fallas),
            enviar_catalogo(self.productores, durante, momentos(op.semilla, durante, self.carga.duracion_s),
                            blanco(self.plan), self.origen, self.carga, self.fallas.kafka_caido))
        self.avisar(f"carga enviada en {time.monotonic() - self.origen:.0f} s; esperando quietud "
                    f"(plazo {op.plazo:g} s)")

    async def asentar(self) -> None:
        """Quietud tras la carga; luego las entradas que pueden trabar a un consumidor, y quietud otra vez."""
        huella_buzon = lambda: recuento.cuantos_correos(self.buzon)  # noqa: E731
        esperar = lambda plazo: esperar_quietud(self.monitor, plazo, 5, huella_buzon, self.avisar)  # noqa: E731
        self.quietudes.append(("tras la carga", await esperar(self.op.plazo)))
        for h in (h for h in CATALOGO if h.al_final):
            self.enviados.append(await enviar_hostil(self.productores, h, blanco(self.plan), self.origen))
        self.quietudes.append(("tras las entradas finales", await esperar(self.op.plazo_final)))
        await self.fallas.terminar()

    async def reconstruir(self) -> None:
        """Con todo quieto: los servicios se detienen, cada uno se reconstruye desde los tópicos (`alva reconstruir`)
        y debe quedar con las mismas tablas; al arrancar de nuevo, nada debe publicarse otra vez."""
        self.vigia.cancel()
        await asyncio.to_thread(self.servicios.detener)
        antes = await self.monitor.finales(await self.monitor.particiones(await self.monitor.topicos_alva()))
        operador = conexion_desde_entorno("alva-operador").aiokafka()
        with _variables(self.servicios.variables):
            for nombre in SERVICIOS:
                servicio = importlib.import_module(f"servicios.{nombre}.app").crear_servicio()
                informe = await reconstruir(servicio, operador, avisar=lambda _: None)
                self.reconstrucciones.append({
                    "servicio": nombre, "eventos": informe.eventos, "segundos": round(informe.segundos, 1),
                    "tablas": len(informe.tablas), "diferentes": {t: d for t, (_, _, d) in informe.tablas.items() if d}})
                self.avisar(f"{nombre} reconstruido: {informe.eventos} entradas en {informe.segundos:.1f} s, "
                            + ("tablas iguales" if informe.iguales else "TABLAS DISTINTAS"))
        self.servicios.arrancar_todos()
        self.vigia = asyncio.create_task(self.servicios.vigilar())
        await self.servicios.esperar_listos()
        self.quietudes.append(("tras reconstruir", await esperar_quietud(self.monitor, 120, 5, avisar=self.avisar)))
        despues = await self.monitor.finales(list(antes))
        self.republicados = sum(despues[tp] - antes[tp] for tp in antes)

    async def observar(self) -> Observado:
        plan, confirmados = self.plan, self.carga.confirmados
        finales = await recuento.finales_canonicos(self.monitor)
        hechos, rechazos = await recuento.hechos_y_rechazos(self.inicios, finales, f"caos-{self.corrida}-")
        convenios = list(plan.convenios.values())
        return Observado(
            enviados={str(r.evento.id): r.evento.data["convenio_id"] for r in plan.reportes
                      if str(r.evento.id) in confirmados},
            hechos=hechos, rechazos=rechazos,
            hostiles=[{**asdict(e), "codigo_esperado": h.codigo} for h in CATALOGO for e in self.enviados
                      if e.nombre == h.nombre],
            personas_bd=await bd.personas_capacitadas(convenios),
            personas_esperadas=personas_enviadas(plan, confirmados),
            cumplibles=set(convenios), sin_cumplir={plan.convenio_hostil, plan.convenio_cancelado},
            enlaces={c: f"enlace@{i}.example" for i, c in plan.convenios.items()},
            correos=recuento.correos(self.buzon, f"caos-{self.corrida}-") if self.buzon else None,
            no_enviados=self.carga.fallidos,
            quietudes=[{"fase": f, **asdict(q)} for f, q in self.quietudes],
            reconstrucciones=self.reconstrucciones, republicados=self.republicados,
            fallas=[{"tipo": f.tipo, "objetivo": f.objetivo, "provocada": f.provocada, "nota": f.nota,
                     "recuperada": f.listo_s is not None and f.progreso_s is not None} for f in self.fallas.ocurridas])

    async def juzgar(self) -> int:
        juicio = juzgar(await self.observar())
        informe.imprimir(juicio, self.fallas.ocurridas, self.servicios.caidas)
        ruta = self.carpeta / "veredicto.json"
        convenios = [*self.plan.convenios.values(), self.plan.convenio_hostil]
        informe.guardar(ruta, {"corrida": self.corrida, "fecha": datetime.now().isoformat(timespec="seconds"),
                               "opciones": asdict(self.op), "reenvios_confirmados": self.carga.reenvios_confirmados,
                               "distintivos_en_bd": await bd.distintivos(convenios)},
                        juicio, self.fallas.ocurridas, self.servicios.caidas)
        self.avisar(f"\n{'Todo en orden' if juicio['ok'] else 'FALLA'}: corrida {self.corrida}, semilla "
                    f"{self.op.semilla}; cifras en {ruta}; bitácoras en {self.servicios.bitacoras}")
        return 0 if juicio["ok"] else 1

    async def cerrar(self) -> None:
        if vigia := getattr(self, "vigia", None):
            vigia.cancel()
        await asyncio.to_thread(self.servicios.detener)
        await self.productores.cerrar()
        await self.monitor.cerrar()
        if not self.op.conservar_hostil:
            await baja([topico_ingreso(self.plan.hostil)])


async def correr(op: Opciones, corrida: str, carpeta: Path, buzon: Path | None, avisar=print) -> int:
    c = Corrida(op, corrida, carpeta, buzon, avisar)
    try:
        await c.preparar()
        await c.cargar()
        await c.asentar()
        if op.reconstruir:
            await c.reconstruir()
        return await c.juzgar()
    finally:
        await c.cerrar()


@contextmanager
def _variables(variables: dict[str, str]):
    """Los ajustes de los servicios de la corrida (p. ej. su plazo de pendientes), para reconstruirlos iguales."""
    antes = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for k, v in antes.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def falla_posible(variable: str) -> bool:
    """Sólo se puede matar o parar lo embebido (lo que arrancó infra), no un servidor que nombra el entorno."""
    return not os.environ.get(variable)
