"""`make bench`: cuántos reportes por segundo atraviesan el sistema real, de punta a punta, en esta máquina.

Arranca lo embebido (o usa lo que nombre el entorno) y los cuatro servicios como procesos, como `make demo`;
da de alta varias instituciones con un convenio cada una, y envía de golpe N reportes de sesión completada
(3 asistentes distintos cada uno). Mide:
- capacitación: del primer envío al último `sesion.completada` publicado (ingreso → PostgreSQL → outbox → Kafka);
- la cadena hasta convenios: hasta que cada objetivo `personas_capacitadas` llega a su valor final.
Imprime cifras; no decide nada (no es una prueba).
"""

import argparse
import asyncio
import json
import time
import uuid
from datetime import date, timedelta

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from alva.cli.comun import lector_en
from alva.demo import arrancar_servicios, detener_servicios, preparar_infraestructura
from alva.escenario import OTORGANTE, reporte
from esquemas.capacitacion import TOPICO as TOPICO_CAPACITACION
from esquemas.comun import Contacto, Firmante, Institucion, Objetivo, Vigencia
from esquemas.convenios import TOPICO as TOPICO_CONVENIOS
from esquemas.ingreso import ReporteConvenioFirmado, ReporteSesionCompletada
from infra import entorno as infra
from plataforma.config import Ajustes
from plataforma.nube import CABECERAS_REPORTE
from plataforma.operacion import PUERTOS
from plataforma.topicos import Topicos

ASISTENTES = 3


async def esperar_listos(plazo_s: float = 60) -> None:
    """Los cuatro servicios dicen estar listos (PostgreSQL y Kafka) en su puerto de operación."""
    limite = time.monotonic() + plazo_s
    async with httpx.AsyncClient() as cliente:
        for nombre, puerto in PUERTOS.items():
            while True:
                try:
                    if (await cliente.get(f"http://127.0.0.1:{puerto}/salud/listo", timeout=2)).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > limite:
                    raise TimeoutError(f"{nombre} no estuvo listo en {plazo_s:g} s")
                await asyncio.sleep(0.2)


async def medir(n: int, instituciones: int, bootstrap: str) -> dict:
    corrida = uuid.uuid4().hex[:8]
    topicos = Topicos(bootstrap, Ajustes().particiones, Ajustes().replicacion)
    ids = [f"bench-{corrida}-{i}" for i in range(instituciones)]
    for i in ids:
        await topicos.alta_institucion(i)
    lector, _ = await lector_en(bootstrap, [TOPICO_CAPACITACION, TOPICO_CONVENIOS], None, al_final=True)
    productor = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                 linger_ms=5, max_batch_size=1 << 20)
    await productor.start()
    try:
        hoy = date.today()
        convenios = {i: f"BENCH-{corrida}-{k}" for k, i in enumerate(ids)}
        for i, cid in convenios.items():
            r = reporte(OTORGANTE, ReporteConvenioFirmado(
                convenio_id=cid, programa="ALVA", otorgante=OTORGANTE,
                institucion=Institucion(id=i, nombre=f"Institución {i}", tipo="municipio"),
                firmantes=[Firmante(nombre="Karla Gabriela Alcaraz Olvera", cargo="Procuradora", institucion=OTORGANTE)],
                fecha_firma=hoy - timedelta(days=1), vigencia=Vigencia(inicio=hoy - timedelta(days=1),
                                                                        fin=hoy + timedelta(days=365)),
                objetivos=[Objetivo(objetivo_id="personas", descripcion="Capacitar", indicador="personas_capacitadas",
                                    meta=10 * n * ASISTENTES)],
                contactos=[Contacto(nombre="Enlace", email=f"enlace@{i}.example")]))
            await r.enviar(productor)
        await esperar(lector, lambda v: b"convenio.firmado" in v and corrida.encode() in v, instituciones, 60)

        reportes = []
        for k in range(n):
            i = ids[k % instituciones]
            reportes.append(reporte(i, ReporteSesionCompletada(
                sesion_id=f"S-{k}", convenio_id=convenios[i], tema="Prevención de la violencia", modalidad="presencial",
                fecha=hoy, horas=2, facilitador="PRODHEG",
                asistentes=[f"p-{k}-{a}" for a in range(ASISTENTES)])))
        inicio = time.monotonic()
        envios = [await productor.send(r.topico, r.evento.a_json(), key=r.evento.llave,
                                       headers=list(CABECERAS_REPORTE)) for r in reportes]
        await asyncio.gather(*envios)
        enviado = time.monotonic() - inicio
    finally:
        await productor.stop()

    final = {cid: float(len(range(k, n, instituciones)) * ASISTENTES) for k, cid in enumerate(convenios.values())}
    vistos, cumplidos, capacitacion_s = 0, set(), None
    marca = corrida.encode()
    limite = time.monotonic() + max(120, n / 50)
    try:
        while (capacitacion_s is None or len(cumplidos) < len(final)) and time.monotonic() < limite:
            for registros in (await lector.getmany(timeout_ms=500, max_records=5000)).values():
                for r in registros:
                    if marca not in r.value:
                        continue
                    if b"capacitacion.sesion.completada" in r.value:
                        vistos += 1
                        if vistos == n:
                            capacitacion_s = time.monotonic() - inicio
                    elif b"objetivo.avanzado" in r.value:
                        d = json.loads(r.value)["data"]
                        if d["valor"] == final[d["convenio_id"]]:
                            cumplidos.add(d["convenio_id"])
        cadena_s = time.monotonic() - inicio if len(cumplidos) == len(final) else None
    finally:
        await lector.stop()
    return {"reportes": n, "instituciones": instituciones, "envio_s": enviado,
            "capacitacion_s": capacitacion_s, "cadena_s": cadena_s, "vistos": vistos}


async def esperar(lector: AIOKafkaConsumer, condicion, cuantos: int, plazo_s: float) -> None:
    limite, vistos = time.monotonic() + plazo_s, 0
    while vistos < cuantos:
        if time.monotonic() > limite:
            raise TimeoutError("los convenios de la medición no se registraron a tiempo")
        for registros in (await lector.getmany(timeout_ms=500)).values():
            vistos += sum(1 for r in registros if condicion(r.value))


def imprimir(m: dict) -> None:
    n = m["reportes"]
    print(f"\n{n} reportes sesion.completada ({ASISTENTES} asistentes c/u) de {m['instituciones']} instituciones")
    print(f"  enviados a Kafka en            {m['envio_s']:6.2f} s  ({n / m['envio_s']:8.0f} reportes/s)")
    if m["capacitacion_s"]:
        print(f"  publicados por capacitacion en {m['capacitacion_s']:6.2f} s  ({n / m['capacitacion_s']:8.0f} reportes/s, "
              "ingreso → PostgreSQL → outbox → Kafka)")
    else:
        print(f"  capacitacion publicó {m['vistos']} de {n} en el plazo")
    if m["cadena_s"]:
        print(f"  contados por convenios en      {m['cadena_s']:6.2f} s  ({n / m['cadena_s']:8.0f} reportes/s, "
              "la cadena de dos servicios)")
    else:
        print("  convenios no terminó de contar en el plazo")


async def principal(n: int, instituciones: int) -> int:
    preparar_infraestructura()
    ajustes = Ajustes()
    await Topicos(ajustes.kafka_bootstrap_servers, ajustes.particiones, ajustes.replicacion).preparar_plataforma()
    bitacoras = infra.entorno_embebido().buzon.parent / "bitacoras"
    procesos = arrancar_servicios(bitacoras)
    try:
        await esperar_listos()
        imprimir(await medir(n, instituciones, ajustes.kafka_bootstrap_servers))
    finally:
        detener_servicios(procesos)
    return 0


def main() -> None:
    argumentos = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    argumentos.add_argument("--reportes", type=int, default=10_000)
    argumentos.add_argument("--instituciones", type=int, default=6)
    a = argumentos.parse_args()
    raise SystemExit(asyncio.run(principal(a.reportes, a.instituciones)))


if __name__ == "__main__":
    main()
