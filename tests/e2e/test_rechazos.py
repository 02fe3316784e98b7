"""Lo ilegible y lo inválido vuelven como rechazos legibles, lo ilegible también a la DLQ, y el servicio sigue."""

import json
import subprocess
import time
import uuid
from datetime import date

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from alva import escenario
from alva.observador import particiones_de
from infra import kcat
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


def _kcat(infra, tmp_path, topico: str, valor: bytes, *opciones, aceptado: bool = True) -> str:
    """Un registro enviado con kcat (librdkafka), que deja pasar bytes que aiokafka no produciría; lo que dijo."""
    ejecutable = kcat.asegurar()
    assert ejecutable, "kcat no está instalado: `make` lo instala (python -m infra.kcat)"
    propiedades = tmp_path / "kcat.properties"
    propiedades.write_text(infra.admin.propiedades())
    archivo = tmp_path / "registro.json"
    archivo.write_bytes(valor)
    r = subprocess.run([str(ejecutable), "-F", str(propiedades), "-P", "-t", topico, "-k", "prodheg", *opciones,
                        str(archivo)], capture_output=True, timeout=60)
    assert (r.returncode == 0) == aceptado, r.stderr.decode(errors="replace")
    return r.stderr.decode(errors="replace")


async def test_un_nombre_de_cabecera_que_no_es_texto_no_detiene_a_nadie(infra, productor, observador, tmp_path):
    # aiokafka lee el nombre de cada cabecera como UTF-8 estricto; Kafka acepta cualquier byte. Detrás, en la misma
    # partición, otro convenio: ambos se procesan (el nombre ilegible se lee con U+FFFD y nadie lo usa).
    primero = escenario.convenio(unico("nombre"), date.today())
    segundo = escenario.convenio(unico("nombre"), date.today())
    _kcat(infra, tmp_path, primero.topico, primero.evento.a_json(), "-H", "content-type=application/cloudevents+json",
          "-H", b"\xff\xfetraza=1")
    await enviar(productor, segundo)
    for caso in (primero, segundo):
        await observador.esperar(de_tipo(ConvenioFirmado, convenio_id=caso.evento.data["convenio_id"]), 60)


@pytest.mark.parametrize("codec", ["zstd", "lz4", "snappy", "gzip"])
async def test_un_reporte_comprimido_con_cualquier_codec_se_procesa(infra, productor, observador, tmp_path, codec):
    # Un tópico de ingreso guarda sin comprimir lo que cada institución envíe (compression.type=uncompressed): los
    # servicios nunca ven un códec que no sepan leer.
    caso = escenario.convenio(unico(f"codec-{codec}"), date.today())
    _kcat(infra, tmp_path, caso.topico, caso.evento.a_json(), "-H", "content-type=application/cloudevents+json",
          "-z", codec)
    await observador.esperar(de_tipo(ConvenioFirmado, convenio_id=caso.evento.data["convenio_id"]), 60)


async def test_lo_que_crece_al_descomprimirse_lo_rechaza_el_broker(infra, tmp_path):
    # 5 MB de espacios caben, comprimidos, en unos KB; el ingreso se guarda sin comprimir, y así no cabe: Kafka lo
    # rechaza al recibirlo y ningún servicio lo ve.
    caso = escenario.convenio(unico("bomba"), date.today())
    evento = json.loads(caso.evento.a_json())
    evento["data"]["relleno"] = " " * 5_000_000
    dicho = _kcat(infra, tmp_path, caso.topico, json.dumps(evento).encode(), "-z", "gzip",
                  "-X", "message.max.bytes=100000000", aceptado=False)
    assert "Message size too large" in dicho
