"""El banco de una corrida: opciones, instituciones, la sonda, arrancar servicios con su grupo al final de sus
entradas, esperar a que todo esté al día, y anotar la memoria y la CPU de cada proceso."""

import asyncio
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from aiokafka import TopicPartition

from alva.rendimiento import conexion, procesos
from alva.rendimiento.procesos import Instancia
from alva.rendimiento.sonda import Sonda
from esquemas.control import TOPICO as TOPICO_CONTROL
from esquemas.ingreso import PATRON_TOPICO
from infra import comun as infra_comun
from plataforma.permisos import ESCRIBE

_COMUNES = r"|alva\.control|alva\.reenvios"
ENTRADAS = {  # lo que consume cada servicio (README, "Topics")
    "convenios": rf"{PATRON_TOPICO}|alva\.capacitacion{_COMUNES}",
    "capacitacion": rf"{PATRON_TOPICO}|alva\.convenios{_COMUNES}",
    "distintivos": rf"{PATRON_TOPICO}|alva\.convenios|alva\.capacitacion{_COMUNES}",
    "notificaciones": rf"alva\.convenios|alva\.distintivos|alva\.rechazos{_COMUNES}",
}
SALIDA = ESCRIBE  # lo que publica cada servicio en sus tópicos (capacitacion: sesiones y constancias)


def grupo_de(servicio: str) -> str:
    return f"alva-{servicio}"


def avisar(texto: str) -> None:
    """El avance va a stderr: stdout queda para las tablas o el JSON."""
    print(f"· {texto}", file=sys.stderr, flush=True)


@dataclass
class Banco:
    opciones: object
    corrida: str
    sonda: Sonda
    bitacoras: Path
    instituciones: list[str]
    hoy: date = field(default_factory=date.today)
    usos: list[dict] = field(default_factory=list)

    async def entradas(self, servicio: str) -> list[TopicPartition]:
        return await self.sonda.particiones(await self.sonda.topicos(ENTRADAS[servicio]))

    async def salidas(self, topicos: list[str]) -> dict[TopicPartition, int]:
        """Los finales de `topicos` ahora: desde ahí se cuenta lo publicado."""
        return await self.sonda.finales(await self.sonda.particiones(topicos))

    async def publicados(self, desde: dict[TopicPartition, int]) -> int:
        finales = await self.sonda.finales(desde)
        return sum(finales[tp] - inicio for tp, inicio in desde.items())

    async def saltar(self, servicios) -> None:
        """Cada grupo (con sus instancias detenidas) pasa al final de sus entradas: lo que dejaron otras fases o
        rondas no se procesa. Salvo `alva.control`: sin las altas, lo de cada institución esperaría a que se diera
        de alta."""
        for servicio in servicios:
            tps = [tp for tp in await self.entradas(servicio) if tp.topic != TOPICO_CONTROL]
            await self.sonda.saltar_al_final(grupo_de(servicio), tps)

    async def arrancar(self, servicios: dict[str, int]) -> list[Instancia]:
        """`servicios`: cuántas instancias de cada uno; vuelve cuando todas dicen estar listas."""
        instancias = self.lanzar(servicios)
        await self.listas(instancias)
        return instancias

    def lanzar(self, servicios: dict[str, int]) -> list[Instancia]:
        return [procesos.arrancar(s, n, self.bitacoras) for s, cuantas in servicios.items()
                for n in range(1, cuantas + 1)]

    async def listas(self, instancias: list[Instancia]) -> None:
        """Hasta que cada una dice estar lista; si alguna no llega, las detiene a todas."""
        try:
            await asyncio.gather(*(procesos.esperar_lista(i) for i in instancias))
        except BaseException:
            procesos.detener(instancias)
            raise

    async def al_dia(self, instancias: list[Instancia], plazo_s: float,
                     esperados: dict[str, tuple[dict[TopicPartition, int], int]] | None = None) -> float | None:
        """Espera hasta que cada grupo no tiene retraso, cada outbox está vacío y (si se dan) cada salida publicó
        lo esperado: `esperados[nombre] = (finales de antes, cuántos)`. Devuelve el instante (monotónico) o None."""
        limite, servicios = time.monotonic() + plazo_s, sorted({i.servicio for i in instancias})
        entradas, revisadas = {}, 0.0
        while time.monotonic() < limite:
            if time.monotonic() - revisadas > 2:  # tópicos nuevos (p. ej. una institución dada de alta)
                entradas = {s: await self.entradas(s) for s in servicios}
                revisadas = time.monotonic()
            if await self._todo_al_dia(instancias, servicios, entradas, esperados or {}):
                return time.monotonic()
            if caidas := [i.nombre for i in instancias if i.proceso.poll() is not None]:
                raise RuntimeError(f"se detuvo {', '.join(caidas)}; vea {self.bitacoras}")
            await asyncio.sleep(0.1)
        return None

    async def _todo_al_dia(self, instancias, servicios, entradas, esperados) -> bool:
        for servicio in servicios:
            if await self.sonda.retraso(grupo_de(servicio), entradas[servicio]):
                return False
        for desde, cuantos in esperados.values():
            if await self.publicados(desde) < cuantos:
                return False
        primeras = {i.servicio: i for i in reversed(instancias)}
        for instancia in primeras.values():
            if (await procesos.metricas(instancia)).get("alva_outbox_pendientes", 0):
                return False
        return True

    def anotar_uso(self, fase: str, instancias: list[Instancia]) -> dict[str, procesos.Uso]:
        """Memoria y CPU de cada instancia al final de una fase (para la tabla de recursos)."""
        usos = {}
        for i in instancias:
            if (u := procesos.uso(i.pid)) is not None:
                usos[i.nombre] = u
                self.usos.append({"fase": fase, "instancia": i.nombre, "servicio": i.servicio,
                                  "rss_mb": round(u.rss_mb, 1), "cpu_s": round(u.cpu_s, 2)})
        return usos

    def cpu(self, instancias: list[Instancia]) -> dict[str, float]:
        return {i.nombre: u.cpu_s for i in instancias if (u := procesos.uso(i.pid)) is not None}

    def cpu_infra(self) -> dict[str, float]:
        """Segundos de CPU de PostgreSQL (con sus conexiones) y de Kafka hasta ahora, si son los embebidos."""
        componentes = infra_comun.componentes()
        return {nombre: s for nombre in ("postgres", "kafka")
                if (pid := infra_comun.pid_vivo(componentes[nombre])) is not None
                and (s := procesos.cpu_de_arbol(pid)) is not None}

    async def alta(self, instituciones: list[str]) -> None:
        await conexion.dar_de_alta(instituciones)
