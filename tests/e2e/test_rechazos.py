"""Lo ilegible y lo inválido vuelven como rechazos legibles, lo ilegible también a la DLQ, y el servicio sigue."""

import json
import time
import uuid
from datetime import date

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from alva import escenario
from alva.observador import particiones_de
from esquemas.convenios import ConvenioFirmado
from esquemas.rechazos import EntradaRechazada
from esquemas.ingreso import topico_ingreso
from plataforma.permisos import topicos_institucion
from plataforma.topicos import dar_de_alta
from tests.conftest import unico
from tests.e2e.ayudas import de_tipo, enviar

pytestmark = pytest.mark.e2e


async def test_lo_malformado_y_lo_invalido_se_rechazan_y_lo_bueno_pasa(infra, productor, observador):
    bueno = escenario.convenio(unico("rechazos"), date.today())
    topico = bueno.topico
    # 1) algo que no es JSON; 2) un convenio sin objetivos; 3) un convenio correcto.
    malo = await productor.send_and_wait(topico, b"<convenio>no soy json</convenio>", key=b"prodheg")
    invalido = json.loads(bueno.evento.a_json())
    invalido["id"], invalido["data"]["objetivos"] = str(uuid.uuid4()), []
    await productor.send_and_wait(topico, json.dumps(invalido).encode(), key=b"prodheg",
                                  headers=[("content-type", b"application/cloudevents+json")])
    await enviar(productor, bueno)

    rechazo_malo = await observador.esperar(
        lambda e: e.type == EntradaRechazada.tipo and e.data["topico"] == topico and e.data["offset"] == malo.offset, 60)
    assert rechazo_malo.data["codigo"] == "json_invalido"
    assert rechazo_malo.institucion == "prodheg"
    rechazo_invalido = await observador.esperar(
        lambda e: e.type == EntradaRechazada.tipo and e.data["entrada_id"] == invalido["id"], 60)
    assert rechazo_invalido.data["codigo"] == "esquema_invalido"
    assert rechazo_invalido.data["campo"] == "data.objetivos"
    assert rechazo_invalido.causationid == invalido["id"]
    # El bueno, detrás de ambos en la misma partición, se procesó.
    await observador.esperar(de_tipo(ConvenioFirmado, convenio_id=bueno.evento.data["convenio_id"]), 60)

    # Lo ilegible está, crudo y con sus cabeceras de error, en la DLQ del tópico.
    dlq = AIOKafkaConsumer(**infra.opciones(), enable_auto_commit=False)
    await dlq.start()
    try:
        particiones = await particiones_de(infra.opciones(), [topico + ".dlq"])
        dlq.assign(particiones)
        await dlq.seek_to_beginning(*particiones)
        encontrado = None
        for _ in range(40):
            for registros in (await dlq.getmany(timeout_ms=500)).values():
                for r in registros:
                    cabeceras = dict(r.headers)
                    if cabeceras.get("alva-offset-original") == str(malo.offset).encode():
                        encontrado = r
            if encontrado:
                break
        assert encontrado is not None
        assert encontrado.value == b"<convenio>no soy json</convenio>"
        assert dict(encontrado.headers)["alva-error-codigo"] == b"json_invalido"
    finally:
        await dlq.stop()


async def test_una_institucion_no_reporta_por_otra(productor, observador):
    # Pénjamo escribe en su tópico un reporte que dice venir del IMSS.
    sesion = escenario.sesiones(unico("ajena"), date.today())[0]
    await productor.send_and_wait("alva.ingreso.penjamo", sesion.evento.a_json(), key=b"penjamo",
                                  headers=[("content-type", b"application/cloudevents+json")])
    rechazo = await observador.esperar(
        lambda e: e.type == EntradaRechazada.tipo and e.data["entrada_id"] == str(sesion.evento.id), 60)
    assert rechazo.data["codigo"] == "institucion_ajena"
    assert "penjamo" in rechazo.data["motivo"]


async def test_una_institucion_recien_dada_de_alta_se_escucha_en_segundos(infra, productor, observador):
    # Alta de una institución nueva: su tópico de ingreso nace ahora, con los servicios ya suscritos por patrón.
    institucion = unico("alta")
    await dar_de_alta(infra.admin, institucion)
    topico = topico_ingreso(institucion)
    try:
        malo = await productor.send_and_wait(topico, b"hola", key=institucion.encode())
        inicio = time.monotonic()
        rechazo = await observador.esperar(
            lambda e: e.type == EntradaRechazada.tipo and e.data["topico"] == topico and e.data["offset"] == malo.offset,
            30)
        # El refresco de metadatos es de 3 s (no los 5 min de aiokafka): el rechazo llega en segundos.
        assert time.monotonic() - inicio < 15
        assert rechazo.institucion == institucion
    finally:
        admin = AIOKafkaAdminClient(**infra.opciones())
        await admin.start()
        await admin.delete_topics(list(topicos_institucion(institucion)))
        await admin.close()


async def test_una_cabecera_que_no_es_texto_no_detiene_la_particion(productor, observador):
    # Una cabecera cualquiera con bytes que no son UTF-8 (nadie la lee, pero el lote entero pasa por el parser) y,
    # detrás, en la misma partición, otro convenio: ambos se procesan.
    primero = escenario.convenio(unico("cabecera"), date.today())
    segundo = escenario.convenio(unico("cabecera"), date.today())
    await productor.send_and_wait(primero.topico, primero.evento.a_json(), key=b"prodheg",
                                  headers=[("content-type", b"application/cloudevents+json"), ("traza", b"\xff\xfe")])
    await enviar(productor, segundo)
    for caso in (primero, segundo):
        await observador.esperar(de_tipo(ConvenioFirmado, convenio_id=caso.evento.data["convenio_id"]), 60)
