"""`alva.control`: avisar a los servicios que una institución quedó dada de alta (lo escribe sólo el alta)."""

import logging
import uuid
from datetime import UTC, datetime

from esquemas.control import TOPICO, InstitucionDadaDeAlta
from esquemas.ingreso import topico_ingreso
from plataforma.kafka import ConexionKafka
from plataforma.nube import armar, mensaje

ESPACIO_ALTAS = uuid.UUID("5b7c2f0e-1d3a-4e9b-8f61-0a2c4d6e8f10")


def aviso_de_alta(institucion: str) -> tuple[str, bytes, bytes, list[tuple[str, bytes]]]:
    """(tópico, llave, valor, cabeceras) del aviso; su id es el de la institución: repetirlo no cambia nada."""
    datos = InstitucionDadaDeAlta(institucion=institucion, topico=topico_ingreso(institucion))
    sobre = armar(InstitucionDadaDeAlta.tipo, datos.model_dump(mode="json"),
                  id_=str(uuid.uuid5(ESPACIO_ALTAS, institucion)), institucion=institucion, servicio="alta",
                  cuando=datetime.now(UTC), subject=institucion)
    m = mensaje(TOPICO, sobre)
    return m.topico, m.llave, m.valor, list(m.cabeceras)


def publicar_alta(conexion: ConexionKafka, institucion: str, plazo_s: float = 15.0) -> None:
    """Publica el aviso y espera a que Kafka lo confirme (acks=all, idempotente)."""
    from confluent_kafka import Producer

    topico, llave, valor, cabeceras = aviso_de_alta(institucion)
    # Sólo errores: un broker recién formateado contesta "Coordinator load in progress" y librdkafka reintenta solo.
    productor = Producer({**conexion.librdkafka(), "acks": "all", "enable.idempotence": True, "log_level": 3},
                         logger=logging.getLogger("alva.control"))
    errores: list = []
    productor.produce(topico, valor, llave, headers=cabeceras, on_delivery=lambda e, _: e and errores.append(e))
    if productor.flush(plazo_s) or errores:
        raise RuntimeError(f"Kafka no confirmó el alta de {institucion} en {TOPICO}: {errores or 'sin respuesta'}")
