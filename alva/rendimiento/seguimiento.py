"""Sigue lo que publica la cadena desde ahora: cuándo salió el `sesion.completada` de cada reporte, el avance de
objetivos que causó, cuándo llegó cada convenio a su valor final y cuándo se otorgó su distintivo."""

import asyncio
import json
import time

from aiokafka import AIOKafkaConsumer

from alva.rendimiento import sonda
from alva.rendimiento.banco import Banco
from alva.rendimiento.carga import ASISTENTES, Convenio

TOPICOS = ["alva.capacitacion", "alva.convenios", "alva.distintivos"]


class Seguimiento:
    """Instantes en segundos de reloj (el `timestamp` de cada registro); por reporte, por su `correlationid`."""

    def __init__(self, lector: AIOKafkaConsumer, convenios: list[Convenio]) -> None:
        self.lector = lector
        self.finales = {c.convenio_id: float(ASISTENTES * c.reportes) for c in convenios}
        self.sesiones: dict[str, float] = {}  # reporte → su sesion.completada
        self.avances: dict[str, float] = {}  # reporte → el primer objetivo.avanzado que causó
        self.completos: dict[str, float] = {}  # convenio → cuando su objetivo de personas llegó al valor final
        self.otorgados: dict[str, tuple[float, str]] = {}  # convenio → (cuando, reporte que lo causó)
        self._tarea: asyncio.Task | None = None

    @classmethod
    async def abrir(cls, banco: Banco, convenios: list[Convenio]) -> "Seguimiento":
        desde = await banco.salidas(TOPICOS)
        seguimiento = cls(await sonda.lector(desde), convenios)
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
