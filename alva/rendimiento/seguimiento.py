"""Sigue lo que publica la cadena desde ahora: cuándo salió el `sesion.completada` de cada reporte, el avance de
objetivos que causó, cuándo llegó cada convenio a su valor final y cuándo se otorgó su distintivo.

Los instantes son la hora del broker de cada registro (LogAppendTime), no la de quien lee: lo que no hace falta ver
en vivo se puede leer después, cuando la medida terminó, sin que leerlo compita por la CPU con lo que se mide."""

import asyncio
import json
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition

from alva.rendimiento import sonda
from alva.rendimiento.banco import Banco
from alva.rendimiento.carga import ASISTENTES, Convenio

TOPICOS = ["alva.capacitacion", "alva.convenios", "alva.distintivos"]


class Seguimiento:
    """Instantes en segundos de reloj (el `timestamp` de cada registro); por reporte, por su `correlationid`."""

    def __init__(self, lector: AIOKafkaConsumer, convenios: list[Convenio],
                 despues: dict[TopicPartition, int] | None = None) -> None:
        self.lector = lector
        self.despues = despues or {}  # lo que no se lee en vivo, desde dónde (ver `leer_despues`)
        self.finales = {c.convenio_id: float(ASISTENTES * c.reportes) for c in convenios}
        self.sesiones: dict[str, float] = {}  # reporte → su sesion.completada
        self.avances: dict[str, float] = {}  # reporte → el primer objetivo.avanzado que causó
        self.completos: dict[str, float] = {}  # convenio → cuando su objetivo de personas llegó al valor final
        self.otorgados: dict[str, tuple[float, str]] = {}  # convenio → (cuando, reporte que lo causó)
        self._tarea: asyncio.Task | None = None

    @classmethod
    async def abrir(cls, banco: Banco, convenios: list[Convenio], en_vivo: Iterable[str] = TOPICOS) -> "Seguimiento":
        """`en_vivo`: los tópicos que se leen mientras la cadena trabaja; los demás, con `leer_despues`."""
        desde, en_vivo = await banco.salidas(TOPICOS), set(en_vivo)
        seguimiento = cls(await sonda.lector({tp: o for tp, o in desde.items() if tp.topic in en_vivo}), convenios,
                          {tp: o for tp, o in desde.items() if tp.topic not in en_vivo})
        seguimiento._tarea = asyncio.create_task(seguimiento._leer())
        return seguimiento

    async def cerrar(self) -> None:
        self._tarea.cancel()
        await asyncio.gather(self._tarea, return_exceptions=True)
        await self.lector.stop()

    async def esperar(self, listo, plazo_s: float) -> bool:
        """Hasta que `listo(self)` o el plazo."""
        limite = time.monotonic() + plazo_s
        while not listo(self):
            if time.monotonic() > limite:
                return False
            await asyncio.sleep(0.1)
        return True

    async def leer_despues(self) -> None:
        """Lo que no se siguió en vivo, de una vez, hasta el final que tiene ahora; la próxima vez, desde ahí."""
        if self.despues:
            self.despues = await sonda.leer_hasta_el_final(self.despues,
                                                           lambda r: self._anotar(r.value, r.timestamp / 1000))

    async def _leer(self) -> None:
        while True:
            for registros in (await self.lector.getmany(timeout_ms=500, max_records=5000)).values():
                for r in registros:
                    self._anotar(r.value, r.timestamp / 1000)

    def _anotar(self, valor: bytes, instante: float) -> None:
        if b"sesion.completada" in valor:
            evento = json.loads(valor)
            self.sesiones.setdefault(evento.get("correlationid"), instante)
        elif b"objetivo.avanzado" in valor:
            evento = json.loads(valor)
            self.avances.setdefault(evento.get("correlationid"), instante)
            datos = evento["data"]
            final = self.finales.get(datos["convenio_id"])
            if datos["indicador"] == "personas_capacitadas" and datos["valor"] == final:
                self.completos.setdefault(datos["convenio_id"], instante)
        elif b"distintivo.otorgado" in valor:
            evento = json.loads(valor)
            if evento["data"]["convenio_id"] in self.finales:
                self.otorgados.setdefault(evento["data"]["convenio_id"], (instante, evento.get("correlationid")))
