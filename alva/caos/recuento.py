"""Lo que quedó: los hechos y rechazos de la corrida en los tópicos canónicos, y los correos del buzón local."""

import email.parser
import email.policy
import json
from pathlib import Path

from aiokafka import TopicPartition

from alva.caos.kafka import Monitor, lector
from alva.caos.veredicto import Correo, Hecho, RechazoVisto
from esquemas.catalogo import TOPICOS_CANONICOS
from esquemas.rechazos import TOPICO as TOPICO_RECHAZOS, EntradaRechazada

DETALLES = ("objetivo_id", "notificacion_id")  # lo que distingue dos hechos legítimos de igual causa, tipo y subject


async def finales_canonicos(monitor: Monitor) -> dict[TopicPartition, int]:
    return await monitor.finales(await monitor.particiones([*TOPICOS_CANONICOS, TOPICO_RECHAZOS]))


async def leer_desde(inicios: dict[TopicPartition, int], finales: dict[TopicPartition, int], prefijo: str):
    """Cada evento de las instituciones `prefijo*` entre `inicios` y `finales`, como (tópico, dict)."""
    lec = lector()
    await lec.start()
    try:
        tps = [tp for tp in finales if finales[tp] > inicios.get(tp, 0)]
        lec.assign(tps)
        for tp in tps:
            lec.seek(tp, inicios.get(tp, 0))
        pendientes = set(tps)
        while pendientes:
            for tp, registros in (await lec.getmany(*pendientes, timeout_ms=1000, max_records=5000)).items():
                for r in registros:
                    if r.offset >= finales[tp]:
                        continue
                    try:
                        evento = json.loads(r.value)
                    except ValueError:
                        continue
                    if str(evento.get("institucion", "")).startswith(prefijo):
                        yield tp.topic, evento
            for tp in list(pendientes):
                if await lec.position(tp) >= finales[tp]:
                    pendientes.discard(tp)
    finally:
        await lec.stop()


async def hechos_y_rechazos(inicios, finales, prefijo: str) -> tuple[list[Hecho], list[RechazoVisto]]:
    hechos, rechazos = [], []
    async for topico, e in leer_desde(inicios, finales, prefijo):
        datos = e.get("data") or {}
        if e.get("type") == EntradaRechazada.tipo:
            rechazos.append(RechazoVisto(e["id"], datos["topico"], datos["particion"], datos["offset"],
                                         datos.get("entrada_id"), datos["codigo"], datos.get("servicio", "")))
            continue
        detalle = next((str(datos[c]) for c in DETALLES if c in datos), "")
        hechos.append(Hecho(topico, e["id"], e["type"], e.get("causationid"), e.get("subject"), e["institucion"],
                            detalle, datos.get("convenio_id")))
    return hechos, rechazos


def correos(buzon: Path, marca: str) -> list[Correo]:
    """Los correos del buzón SMTP embebido dirigidos a la corrida (`marca` en la dirección)."""
    lector_cabeceras = email.parser.BytesHeaderParser(policy=email.policy.default)
    vistos = []
    for archivo in sorted(buzon.glob("*.eml")):
        with archivo.open("rb") as f:
            m = lector_cabeceras.parse(f)
        para = str(m["To"] or "")
        if marca in para:
            vistos.append(Correo(str(m["X-ALVA-Evento"] or ""), para, str(m["X-ALVA-Aviso"] or ""),
                                 str(m["Message-ID"] or ""), archivo.name))
    return vistos


def cuantos_correos(buzon: Path | None) -> int:
    return sum(1 for _ in buzon.glob("*.eml")) if buzon and buzon.exists() else 0
