"""Lo que ALVA publica, leído con el SDK oficial de CloudEvents (binding de Kafka), y un reporte armado con ese SDK,
aceptado: el contrato es CloudEvents en modo estructurado, no un JSON que sólo entiende este código."""

from datetime import date, timedelta

import pytest
from aiokafka import AIOKafkaConsumer
from cloudevents.core.bindings import kafka
from cloudevents.core.v1.event import CloudEvent as EventoSdk

from alva import escenario
from alva.escenario import Reporte, reporte
from alva.observador import Observador, particiones_de
from esquemas import CONTENT_TYPE, TIPOS
from esquemas.catalogo import TOPICOS_CANONICOS
from esquemas.convenios import ConvenioFirmado
from esquemas.distintivos import DistintivoOtorgado
from esquemas.ejemplos import ejemplos
from esquemas.ingreso import ReporteSesionCancelada, topico_ingreso
from esquemas.notificaciones import NotificacionEnviada
from esquemas.rechazos import TOPICO as TOPICO_RECHAZOS
from esquemas.respuestas import ReporteRespondido, topico_respuestas
from tests.conftest import unico
from tests.e2e.ayudas import de_tipo, enviar, rechazo_de
from tests.e2e.conftest import INSTITUCIONES

pytestmark = pytest.mark.e2e

TOPICOS = [*TOPICOS_CANONICOS, TOPICO_RECHAZOS, *map(topico_respuestas, INSTITUCIONES)]


async def finales(opciones: dict, topicos: list[str]) -> dict:
    lector = AIOKafkaConsumer(**opciones, enable_auto_commit=False)
    await lector.start()
    try:
        return await lector.end_offsets(await particiones_de(opciones, topicos))
    finally:
        await lector.stop()


async def registros_entre(opciones: dict, desde: dict, hasta: dict) -> list:
    """Los registros crudos de cada partición entre dos momentos. No desde el principio: las pruebas de permisos
    escriben basura a propósito en tópicos canónicos (lo que el broker deja escribir al dueño), y eso no es ALVA."""
    lector = AIOKafkaConsumer(**opciones, enable_auto_commit=False)
    await lector.start()
    try:
        lector.assign(list(hasta))
        for tp in hasta:
            lector.seek(tp, desde.get(tp, 0))
        registros, pendientes = [], {tp for tp in hasta if desde.get(tp, 0) < hasta[tp]}
        while pendientes:
            for tp, lote in (await lector.getmany(*pendientes, timeout_ms=1000)).items():
                registros += [r for r in lote if r.offset < hasta[tp]]
            pendientes = {tp for tp in pendientes if await lector.position(tp) < hasta[tp]}
        return registros
    finally:
        await lector.stop()


def leer_con_sdk(registro):
    """El SDK decide el modo por las cabeceras (`ce_*` → binario; si no, estructurado) y arma su CloudEvent."""
    mensaje = kafka.KafkaMessage(headers={k: bytes(v) for k, v in registro.headers}, key=registro.key,
                                 value=registro.value)
    return kafka.from_kafka_event(mensaje)


async def test_todo_lo_publicado_se_lee_con_el_sdk_oficial_en_modo_estructurado(infra, productor, observador):
    antes = await finales(infra.opciones(), TOPICOS)
    # La cadena del IMSS hasta el distintivo y su correo, y un reporte que Pénjamo firma como si fuera del IMSS.
    corrida = unico("sdk")
    convenio = escenario.convenio(corrida, date.today())
    for r in [convenio, *escenario.sesiones(corrida, date.today())]:
        await enviar(productor, r)
    suplantado = reporte(escenario.IMSS, ReporteSesionCancelada(sesion_id="S-1", convenio_id="C-1", motivo="Prueba"))
    suplantado = Reporte(topico_ingreso("penjamo"), suplantado.evento)
    await enviar(productor, suplantado)
    otorgado = await observador.esperar(de_tipo(DistintivoOtorgado, convenio_id=convenio.evento.data["convenio_id"]))
    await observador.esperar(de_tipo(NotificacionEnviada, evento_id=str(otorgado.id)))
    rechazo = await observador.esperar(rechazo_de(suplantado))

    leidos = {}
    for registro in await registros_entre(infra.opciones(), antes, await finales(infra.opciones(), TOPICOS)):
        cabeceras = dict(registro.headers)
        assert not [k for k in cabeceras if k.lower().startswith("ce_")], (registro.topic, cabeceras)
        assert cabeceras["content-type"] == CONTENT_TYPE.encode(), (registro.topic, cabeceras)
        evento = leer_con_sdk(registro)
        propio = TIPOS[evento.get_type()]
        institucion = evento.get_extension("institucion")
        assert evento.get_specversion() == "1.0" and evento.get_id() and evento.get_data()
        assert evento.get_source().startswith("/alva/"), evento.get_source()
        assert propio.topico_para(registro.topic.removeprefix("alva.respuestas.")) == registro.topic
        assert institucion.encode() == registro.key and evento.get_extension("partitionkey") == institucion
        leidos.setdefault(registro.topic, {})[evento.get_id()] = evento

    assert set(leidos) == set(TOPICOS), f"sin registros en la ventana: {set(TOPICOS) - set(leidos)}"
    assert leidos["alva.distintivos"][str(otorgado.id)].get_type() == DistintivoOtorgado.tipo
    assert leidos["alva.distintivos"][str(otorgado.id)].get_subject() == otorgado.subject
    assert leidos[TOPICO_RECHAZOS][str(rechazo.id)].get_data()["codigo"] == "institucion_ajena"
    respuesta = next(e for e in leidos[topico_respuestas("penjamo")].values()
                     if e.get_data()["entrada_id"] == str(suplantado.evento.id))
    assert respuesta.get_type() == ReporteRespondido.tipo and respuesta.get_data()["aceptado"] is False


async def test_un_reporte_armado_con_el_sdk_oficial_se_acepta(infra, productor, observador):
    # El sistema de PRODHEG no usa el código de ALVA: arma el CloudEvent con el SDK y lo convierte a Kafka con él.
    tipo = TIPOS["mx.alva.ingreso.convenio.firmado.v1"]
    convenio_id = unico("ALVA-SDK")
    hoy = date.today()
    datos = {**ejemplos()[tipo.nombre].data, "convenio_id": convenio_id, "fecha_firma": hoy.isoformat(),
             "vigencia": {"inicio": hoy.isoformat(), "fin": (hoy + timedelta(days=365)).isoformat()}}
    evento = EventoSdk(attributes={"type": tipo.nombre, "source": "/instituciones/prodheg/sistema-convenios",
                                   "subject": convenio_id, "datacontenttype": "application/json",
                                   "dataschema": tipo.dataschema, "institucion": escenario.OTORGANTE}, data=datos)
    mensaje = kafka.to_structured_event(evento, key_mapper=lambda e: e.get_extension("institucion"))
    assert mensaje.headers == {"content-type": CONTENT_TYPE.encode()}

    respuestas = await Observador.abrir(infra.opciones(), [topico_respuestas(escenario.OTORGANTE)])
    try:
        await productor.send_and_wait(topico_ingreso(escenario.OTORGANTE), mensaje.value, key=mensaje.key.encode(),
                                      headers=list(mensaje.headers.items()))
        respuesta = await respuestas.esperar(lambda e: e.data.get("entrada_id") == evento.get_id())
    finally:
        await respuestas.cerrar()
    assert respuesta.data["aceptado"], respuesta.data
    firmado = await observador.esperar(de_tipo(ConvenioFirmado, convenio_id=convenio_id))
    assert firmado.causationid == evento.get_id()
    assert {h["id"] for h in respuesta.data["hechos"]} >= {str(firmado.id)}
