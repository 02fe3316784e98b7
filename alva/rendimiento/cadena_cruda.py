"""Una etapa de la cadena cruda: aiokafka a pelo con la forma de un servicio de la cadena, como proceso propio.

`python -m alva.rendimiento.cadena_cruda ETAPA PREFIJO N PARTICIONES`: lee los tópicos que su servicio leería
en la cadena (`PREFIJO.ingreso`, `PREFIJO.capacitacion`, `PREFIJO.convenios`), en lotes como los de los
servicios; de lo que su servicio atendería escribe una fila por registro con un COPY por lote, publica lo que
su servicio publicaría por cada uno (acks=all, idempotente), espera las confirmaciones y confirma offsets. Lo
demás lo lee y lo salta, como el servicio salta lo que no le toca. Imprime `lista <cpu_s>` al tener sus
particiones, `hecho <hora> <cpu_s>` al atender lo último que le toca (en seguida si no atiende nada) y
`fin <hora> <cpu_s>` al terminar, cuando leyó todo lo que sus tópicos recibirán: sigue pesando lo que el
servicio seguiría leyendo.

Es el techo de la cadena en la máquina: el mismo tráfico por Kafka y un COPY por lote, sin dominio ni outbox."""

import asyncio
import os
import sys
import time
from dataclasses import dataclass

from aiokafka import TopicPartition

from alva.rendimiento import conexion
from alva.rendimiento.fases.crudo import copiar
from plataforma.arranque import ejecutar
from plataforma.config import Ajustes

TIPO = "rendimiento-tipo"  # la cabecera con que cada etapa marca lo que publica


@dataclass(frozen=True)
class Etapa:
    lee: tuple[str, ...]  # sufijos de los tópicos que lee
    atiende: frozenset[tuple[str, str | None]]  # (tópico, tipo) que escribe y a los que reacciona; None: todos
    publica: tuple[tuple[str, str], ...] = ()  # (tópico, tipo) de lo que publica por cada registro atendido


# Como en la cadena: capacitacion lee los ingresos y convenios, y por cada reporte publica la sesión y tres
# constancias (éstas en su tópico aparte, que nadie lee); convenios lee los ingresos y capacitacion, y por cada
# sesión publica el avance de dos objetivos; distintivos lee los ingresos, convenios y capacitacion, y atiende
# sesiones y avances; notificaciones lee convenios.
ETAPAS = {
    "capacitacion": Etapa(("ingreso", "convenios"), frozenset({("ingreso", None)}),
                          (("capacitacion", "sesion"), *[("constancias", "constancia")] * 3)),
    "convenios": Etapa(("ingreso", "capacitacion"), frozenset({("capacitacion", "sesion")}),
                       (("convenios", "avance"), ("convenios", "avance"))),
    "distintivos": Etapa(("ingreso", "convenios", "capacitacion"),
                         frozenset({("capacitacion", "sesion"), ("convenios", "avance")})),
    "notificaciones": Etapa(("convenios",), frozenset()),
}
POR_REPORTE = {"ingreso": 1, "capacitacion": 1, "constancias": 3, "convenios": 2}  # registros por reporte en cada uno


def esperados(etapa: Etapa, n: int) -> int:
    """Registros que la etapa atiende cuando entran `n` reportes."""
    por_tipo = {("ingreso", None): 1, ("capacitacion", "sesion"): 1, ("convenios", "avance"): 2}
    return n * sum(por_tipo[a] for a in etapa.atiende)


TABLAS = {nombre: f"cadena_{nombre}" for nombre in ETAPAS}  # en el esquema `rendimiento`, como las de la fase raw


async def correr(nombre: str, prefijo: str, n: int, particiones: int) -> None:
    etapa, ajustes = ETAPAS[nombre], Ajustes()
    topicos = {f"{prefijo}.{t}": t for t in etapa.lee}
    consumidor = await conexion.consumidor(f"{prefijo}-{nombre}", fetch_max_wait_ms=ajustes.lote_espera_ms,
                                           fetch_min_bytes=ajustes.lote_bytes_min)
    productor = await conexion.productor() if etapa.publica else None
    conn = await conexion.postgres() if etapa.atiende else None
    try:
        tps = [TopicPartition(t, p) for t in topicos for p in range(particiones)]
        consumidor.assign(tps)
        await consumidor.seek_to_beginning(*tps)
        print("lista", _cpu(), flush=True)
        meta, atendidos = esperados(etapa, n), 0
        hecho = meta == 0
        if hecho:
            print("hecho", time.time(), _cpu(), flush=True)
        por_leer = n * sum(POR_REPORTE[t] for t in etapa.lee)
        while por_leer > 0:
            lotes = await consumidor.getmany(timeout_ms=1000, max_records=ajustes.lote_max)
            registros = [r for rs in lotes.values() for r in rs]
            if not registros:
                continue
            por_leer -= len(registros)
            suyos = [r for r in registros if _atiende(etapa, topicos[r.topic], r.headers)]
            if suyos:
                await copiar(conn, TABLAS[nombre], suyos)
                if etapa.publica:
                    envios = [await productor.send(f"{prefijo}.{destino}", r.value, key=r.key,
                                                   headers=[(TIPO, t.encode())])
                              for r in suyos for destino, t in etapa.publica]
                    await asyncio.gather(*envios)
            await consumidor.commit({tp: rs[-1].offset + 1 for tp, rs in lotes.items()})
            atendidos += len(suyos)
            if not hecho and atendidos >= meta:
                hecho = True
                print("hecho", time.time(), _cpu(), flush=True)
        print("fin", time.time(), _cpu(), flush=True)
    finally:
        await consumidor.stop()
        if productor:
            await productor.stop()
        if conn is not None:
            await conn.close()


def _atiende(etapa: Etapa, topico: str, cabeceras) -> bool:
    if (topico, None) in etapa.atiende:
        return True
    tipo = next((v.decode() for k, v in cabeceras or () if k == TIPO), None)
    return (topico, tipo) in etapa.atiende


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


if __name__ == "__main__":
    ejecutar(correr(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
