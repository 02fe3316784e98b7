"""Lo que la prueba envía: la carga a ritmo parejo (con reenvíos legítimos) y el catálogo hostil en momentos al azar."""

import asyncio
import logging
import random
import time
from dataclasses import dataclass

from aiokafka.errors import MessageSizeTooLargeError

from alva.caos.catalogo import Blanco, Hostil
from alva.caos.kafka import Productores
from alva.caos.plan import Plan
from alva.escenario import Reporte
from plataforma.nube import CABECERAS_REPORTE

log = logging.getLogger(__name__)

EN_VUELO = 500


@dataclass
class Enviado:
    """Dónde quedó una entrada hostil; sin posición si el broker no la aceptó."""

    nombre: str
    entrada_id: str | None
    topico: str
    particion: int | None = None
    offset: int | None = None
    negado_por_broker: str | None = None
    momento_s: float | None = None
    error: str | None = None
    sesion_id: str | None = None


async def enviar_reporte(productores: Productores, r: Reporte, valor: bytes) -> tuple[int, int]:
    return await productores.enviar(f"institucion-{r.evento.institucion}", r.topico, valor, r.evento.llave,
                                    CABECERAS_REPORTE)


class Carga:
    def __init__(self, plan: Plan, productores: Productores, ritmo: float, origen: float) -> None:
        self.plan, self.productores, self.ritmo, self.origen = plan, productores, ritmo, origen
        self.confirmados: set[str] = set()
        self.reenvios_confirmados = 0
        self.fallidos: list[str] = []
        self._cupo = asyncio.Semaphore(EN_VUELO)

    @property
    def duracion_s(self) -> float:
        return len(self.plan.reportes) / self.ritmo

    async def _uno(self, r: Reporte, valor: bytes, reenvio: bool) -> None:
        try:
            await enviar_reporte(self.productores, r, valor)
        except Exception as e:  # noqa: BLE001 - se anota: un reporte que no salió no cuenta como enviado
            self.fallidos.append(f"{r.evento.id}: {type(e).__name__}: {e}")
            return
        finally:
            self._cupo.release()
        if reenvio:
            self.reenvios_confirmados += 1
        else:
            self.confirmados.add(str(r.evento.id))

    async def correr(self) -> None:
        """Cada reporte a su hora (k / ritmo); si Kafka se atrasa, los envíos esperan en vuelo y siguen."""
        valores = [r.evento.a_json() for r in self.plan.reportes]
        tareas = []
        for k, r in enumerate(self.plan.reportes):
            espera = k / self.ritmo - (time.monotonic() - self.origen)
            if espera > 0:
                await asyncio.sleep(espera)
            for j in [k, *self.plan.reenvios.get(k, [])]:
                await self._cupo.acquire()
                tareas.append(asyncio.create_task(self._uno(self.plan.reportes[j], valores[j], reenvio=j != k)))
        await asyncio.gather(*tareas)


def momentos(semilla: int, entradas: list[Hostil], duracion_s: float) -> list[float]:
    """Un momento al azar de la carga para cada entrada (las que van al final, después)."""
    azar = random.Random(semilla + 1)
    return [azar.uniform(0.1, 0.85) * duracion_s for _ in entradas]


async def enviar_hostil(productores: Productores, h: Hostil, blanco: Blanco, origen: float) -> Enviado:
    envio = h.construir(blanco)
    enviado = Enviado(h.nombre, envio.entrada_id, envio.topico, momento_s=round(time.monotonic() - origen, 2),
                      sesion_id=envio.sesion_id)
    try:
        enviado.particion, enviado.offset = await productores.enviar(
            f"institucion-{envio.quien}", envio.topico, envio.valor, envio.llave, envio.cabeceras)
    except MessageSizeTooLargeError as e:
        if not h.broker_puede_negarlo:
            raise
        enviado.negado_por_broker = type(e).__name__
    return enviado


async def enviar_catalogo(productores: Productores, entradas: list[Hostil], cuando: list[float], blanco: Blanco,
                          origen: float, carga: Carga, kafka_caido: asyncio.Event) -> list[Enviado]:
    """Cada entrada a su momento, nunca mientras el broker está caído (así queda en un solo offset)."""
    enviados = []
    for momento, h in sorted(zip(cuando, entradas, strict=True), key=lambda par: par[0]):
        espera = momento - (time.monotonic() - origen)
        if espera > 0:
            await asyncio.sleep(espera)
        while kafka_caido.is_set() or str(blanco.original.evento.id) not in carga.confirmados:
            await asyncio.sleep(0.2)
        try:
            enviados.append(await enviar_hostil(productores, h, blanco, origen))
        except Exception as e:  # noqa: BLE001 - una entrada que no salió se anota y el veredicto la marca
            enviados.append(Enviado(h.nombre, None, "", error=f"{type(e).__name__}: {e}"))
    return enviados
