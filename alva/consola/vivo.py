"""Lo que pasa ahora en todos los tópicos: un lector sin grupo que reparte cada evento, ya en una línea, a quien mira."""

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from alva.cli.observar import registro_a_evento, sin_dlq
from alva.lineas import detalle, tipo_corto
from alva.observador import particiones_de
from plataforma import registros as _registros  # noqa: F401 - aiokafka lee cualquier registro que Kafka acepte
from plataforma.esperas import detener_cliente

log = logging.getLogger(__name__)
RECIENTES = 300  # lo que ve quien abre la página
PREVIOS = 20  # por partición, al arrancar: algo de historia para la primera vista
RELEER_TOPICOS_S = 3.0  # un tópico nuevo (una institución recién dada de alta) se oye en segundos


@dataclass(frozen=True)
class Linea:
    """Un evento como lo muestra la consola (lo mismo que `alva observar`, por campos)."""

    id: str
    hora: str
    momento: float
    topico: str
    tipo: str
    institucion: str
    detalle: str
    correlacion: str | None

    def pasa(self, institucion: str | None, topico: str | None, tipo: str | None) -> bool:
        return ((not institucion or self.institucion == institucion) and (not topico or self.topico == topico)
                and (not tipo or tipo in self.tipo))

    def como_dict(self) -> dict:
        return {"id": self.id, "hora": self.hora, "topico": self.topico, "tipo": self.tipo,
                "institucion": self.institucion, "detalle": self.detalle, "correlacion": self.correlacion}


def a_linea(registro) -> Linea | None:
    evento = registro_a_evento(registro)
    if evento is None:
        return None
    return Linea(str(evento.id), evento.time.astimezone().strftime("%H:%M:%S.%f")[:-3], evento.time.timestamp(),
                 registro.topic, tipo_corto(evento.type), evento.institucion or "", detalle(evento), evento.correlationid)


class Difusor:
    """Un solo lector para todas las páginas abiertas; cada una recibe lo suyo por una cola."""

    def __init__(self, opciones: dict) -> None:
        self.opciones = opciones
        self.recientes: deque[Linea] = deque(maxlen=RECIENTES)
        self.topicos: list[str] = []
        self.escuchando = False  # ya está al final de cada partición y leyendo
        self.error: str | None = None
        self._colas: set[asyncio.Queue] = set()
        self._tarea: asyncio.Task | None = None

    def abrir(self) -> None:
        self._tarea = asyncio.create_task(self._correr(), name="consola-vivo")

    async def cerrar(self) -> None:
        if self._tarea is not None:
            self._tarea.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tarea

    @contextlib.contextmanager
    def suscribir(self):
        cola: asyncio.Queue = asyncio.Queue(maxsize=2000)
        self._colas.add(cola)
        try:
            yield cola
        finally:
            self._colas.discard(cola)

    def _repartir(self, lineas: list[Linea]) -> None:
        self.recientes.extend(lineas)
        for cola in self._colas:
            for linea in lineas:
                with contextlib.suppress(asyncio.QueueFull):  # quien no lee a tiempo pierde líneas, no frena a nadie
                    cola.put_nowait(linea)

    async def _correr(self) -> None:
        espera = 1.0
        while True:
            try:
                await self._leer()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - Kafka caído: se reintenta, y /salud/listo lo dice
                espera = 1.0 if self.escuchando else espera  # tras un rato bien, se vuelve a intentar pronto
                self.escuchando, self.error = False, f"{type(e).__name__}: {e}"
                log.warning("consola: sin lectura en vivo (%s); reintento en %.0f s", self.error, espera)
                await asyncio.sleep(espera)
                espera = min(espera * 2, 5.0)

    async def _leer(self) -> None:
        lector = AIOKafkaConsumer(**self.opciones, enable_auto_commit=False, auto_offset_reset="earliest")
        await lector.start()
        try:
            asignadas: list[TopicPartition] = []
            releer = 0.0
            while True:
                if time.monotonic() >= releer:
                    asignadas = await self._asignar(lector, asignadas)
                    releer = time.monotonic() + RELEER_TOPICOS_S
                    self.escuchando, self.error = True, None
                lotes = await lector.getmany(timeout_ms=500, max_records=2000)
                registros = sorted((r for rs in lotes.values() for r in rs), key=lambda r: r.timestamp)
                if lineas := [linea for r in registros if (linea := a_linea(r)) is not None]:
                    self._repartir(lineas)
        finally:
            if not await detener_cliente(lector):
                log.warning("consola: el lector en vivo no se cerró a tiempo; se deja")

    async def _asignar(self, lector: AIOKafkaConsumer, antes: list[TopicPartition]) -> list[TopicPartition]:
        """Todas las particiones de los tópicos alva.* (sin DLQ); las que ya leía siguen donde iban. La lista de
        tópicos sale de la metadata del propio lector; sólo si cambió se piden sus particiones."""
        topicos = sin_dlq(sorted(t for t in await lector.topics() if t.startswith("alva.")))
        if antes and topicos == self.topicos:
            return antes
        ahora = await particiones_de(self.opciones, topicos)
        self.topicos = sorted({tp.topic for tp in ahora})  # uno aún sin líder se vuelve a pedir en la siguiente vuelta
        if set(ahora) == set(antes):
            return antes
        posiciones = {tp: await lector.position(tp) for tp in antes if tp in ahora}
        lector.assign(ahora)
        nuevas = [tp for tp in ahora if tp not in posiciones]
        finales = await lector.end_offsets(nuevas) if nuevas else {}
        for tp in ahora:
            if tp in posiciones:
                lector.seek(tp, posiciones[tp])
            elif not antes:  # al arrancar: las últimas de cada partición, para no empezar en blanco
                lector.seek(tp, max(0, finales[tp] - PREVIOS))
            else:  # un tópico que apareció después: desde su principio
                lector.seek(tp, 0)
        return ahora
