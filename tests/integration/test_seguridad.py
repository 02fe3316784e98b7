"""Kafka seguro de verdad: sólo SASL_SSL con SCRAM, ACLs por principal, credenciales que se rotan y revocan."""

import dataclasses
import json
import logging
import pathlib
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import TopicAuthorizationFailedError
from confluent_kafka import Consumer, KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

from esquemas.ingreso import topico_ingreso
from infra import entorno, kcat
from infra.comun import puertos
from plataforma import provision
from plataforma.kafka import ConexionKafka, conexion_embebida
from plataforma.permisos import TOPICOS_PLATAFORMA, topicos_institucion
from tests.conftest import unico

pytestmark = pytest.mark.integration
silencio = logging.getLogger("tests.seguridad")  # librdkafka informa de cada rechazo: aquí se esperan
silencio.addHandler(logging.NullHandler())
silencio.propagate = False


# ---------- ayudas ----------

def conectar(config: dict, plazo_s: float = 10) -> KafkaError | None:
    """None si con `config` se leen los metadatos del clúster; si no, el primer error que dio librdkafka."""
    errores: list[KafkaError] = []
    admin = AdminClient({**config, "error_cb": errores.append}, logger=silencio)
    limite, ultimo = time.monotonic() + plazo_s, KafkaError(KafkaError._TIMED_OUT)
    while time.monotonic() < limite:
        try:
            admin.list_topics(timeout=1)
            return None
        except KafkaException as e:
            ultimo = e.args[0]
        admin.poll(0.2)  # entrega a error_cb lo que librdkafka haya visto
        if errores:
            return errores[0]
    return ultimo


def hasta(condicion, plazo_s: float = 10):
    """Repite `condicion()` hasta que dé algo verdadero, o falla al vencer el plazo."""
    limite = time.monotonic() + plazo_s
    while (resultado := condicion()) is None or resultado is False:
        assert time.monotonic() < limite, f"no se cumplió en {plazo_s:g} s"
        time.sleep(0.2)
    return resultado


async def escribir(conexion: ConexionKafka, topico: str, valor: bytes = b"{}", **kw):
    """Como los servicios: acks=all e idempotente."""
    productor = AIOKafkaProducer(**conexion.aiokafka(), acks="all", enable_idempotence=True, request_timeout_ms=10_000)
    await productor.start()
    try:
        return await productor.send_and_wait(topico, valor, **kw)
    finally:
        await productor.stop()


def leer(conexion: ConexionKafka, topico: str, grupo: str, plazo_s: float = 10):
    """El primer mensaje de `topico` leído como `conexion`, o el error que dio el broker."""
    lector = Consumer({**conexion.librdkafka(), "group.id": grupo, "auto.offset.reset": "earliest",
                       "enable.auto.commit": False}, logger=silencio)
    lector.subscribe([topico])
    try:
        limite = time.monotonic() + plazo_s
        while time.monotonic() < limite:
            mensaje = lector.poll(0.5)
            if mensaje is not None:
                return mensaje.error() or mensaje
        raise AssertionError(f"nada que leer en {topico} en {plazo_s:g} s")
    finally:
        lector.close()


@pytest.fixture
def alta(infra_segura, tmp_path):
    """Da de alta a una institución nueva; devuelve su conexión y sus credenciales."""
    def dar_de_alta(prefijo: str = "inst") -> tuple[ConexionKafka, provision.Credenciales]:
        c = provision.alta_institucion(infra_segura, unico(prefijo), carpeta_credenciales=tmp_path)
        return dataclasses.replace(infra_segura, usuario=c.usuario, clave=c.clave), c
    return dar_de_alta


# ---------- sólo SASL_SSL con SCRAM ----------

def test_una_conexion_en_claro_es_rechazada(infra_segura):
    for puerto in (puertos()["kafka"], puertos()["controlador"]):
        error = conectar({"bootstrap.servers": f"127.0.0.1:{puerto}", "security.protocol": "PLAINTEXT"}, 4)
        assert error is not None and error.code() in (KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN), error


def test_un_cliente_sin_autenticar_es_rechazado_en_ambos_puertos(infra_segura):
    # TLS válido, pero sin SASL: ni el oyente de clientes ni el del controlador le dejan pedir nada.
    for puerto in (puertos()["kafka"], puertos()["controlador"]):
        error = conectar({"bootstrap.servers": f"127.0.0.1:{puerto}", "security.protocol": "SSL",
                          "ssl.ca.location": str(infra_segura.ca)}, 4)
        assert error is not None, f"el puerto {puerto} atendió a un cliente anónimo"
        assert error.code() in (KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN, KafkaError._UNSUPPORTED_FEATURE)


def test_una_clave_equivocada_es_rechazada(infra_segura):
    for usuario, clave in (("alva-admin", "no-es-la-clave"), ("institucion-nadie", "tampoco")):
        impostor = dataclasses.replace(infra_segura, usuario=usuario, clave=clave)
        error = conectar(impostor.librdkafka())
        assert error is not None and error.code() == KafkaError._AUTHENTICATION, error


def test_el_broker_presenta_un_certificado_de_la_autoridad_de_alva(infra_segura):
    # Con la autoridad del sistema (no la de ALVA) el certificado del broker no se acepta.
    sin_ca = dataclasses.replace(infra_segura, ca=None).librdkafka()
    assert conectar({**sin_ca, "ssl.ca.location": "probe"}, 4) is not None
    assert conectar(infra_segura.librdkafka()) is None
    assert entorno.kafka_responde(infra_segura.bootstrap, ca=infra_segura.ca)


# ---------- lo que puede una institución ----------

async def test_una_institucion_escribe_en_su_ingreso_y_en_nada_mas(alta):
    penjamo, cred = alta("penjamo")
    _, otra = alta("leon")
    ingreso = topicos_institucion(cred.institucion)[0]

    hecho = await escribir(penjamo, ingreso, key=cred.institucion.encode())
    assert hecho.topic == ingreso

    for ajeno in (topicos_institucion(otra.institucion)[0], "alva.distintivos", "alva.rechazos"):
        with pytest.raises(TopicAuthorizationFailedError):
            await escribir(penjamo, ajeno)


async def test_una_institucion_lee_sus_respuestas_y_ninguna_otra_cosa(alta):
    penjamo, cred = alta("penjamo")
    _, otra = alta("leon")
    respuestas = topicos_institucion(cred.institucion)[2]
    # Un servicio deja el desenlace de un reporte en alva.respuestas.<id>; la institución lo lee con su grupo.
    await escribir(conexion_embebida("alva-convenios"), respuestas, b'{"aceptado": true}')
    leido = leer(penjamo, respuestas, cred.usuario)
    assert not isinstance(leido, KafkaError) and leido.value() == b'{"aceptado": true}', leido

    for ajeno in ("alva.convenios", "alva.rechazos", topicos_institucion(otra.institucion)[2]):
        error = leer(penjamo, ajeno, cred.usuario)
        assert isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, ajeno


# ---------- lo que puede un servicio ----------

async def test_un_servicio_no_escribe_el_topico_canonico_de_otro(infra_segura):
    assert (await escribir(conexion_embebida("alva-distintivos"), "alva.distintivos")).topic == "alva.distintivos"
    for servicio in ("alva-convenios", "alva-capacitacion", "alva-notificaciones", "alva-operador"):
        with pytest.raises(TopicAuthorizationFailedError):
            await escribir(conexion_embebida(servicio), "alva.distintivos")
    with pytest.raises(TopicAuthorizationFailedError):
        await escribir(conexion_embebida("alva-notificaciones"), "alva.convenios")


# ---------- rotar y revocar ----------

async def test_tras_rotar_la_clave_vieja_ya_no_conecta(infra_segura, alta, tmp_path):
    vieja, cred = alta("irapuato")
    assert conectar(vieja.librdkafka()) is None

    nueva = provision.rotar(infra_segura, cred.institucion, carpeta_credenciales=tmp_path)

    assert nueva.estado == "rotada" and nueva.clave != cred.clave
    hasta(lambda: conectar(vieja.librdkafka(), 3) is not None)
    assert conectar(vieja.librdkafka()).code() == KafkaError._AUTHENTICATION
    assert conectar(dataclasses.replace(vieja, clave=nueva.clave).librdkafka()) is None
    assert json.loads((tmp_path / f"{cred.usuario}.json").read_text())["clave"] == nueva.clave


async def test_tras_revocar_las_credenciales_no_sirven_ni_en_una_conexion_abierta(infra_segura, alta, tmp_path):
    celaya, cred = alta("celaya")
    ingreso = topicos_institucion(cred.institucion)[0]
    productor = AIOKafkaProducer(**celaya.aiokafka(), acks="all", enable_idempotence=True,
                                 request_timeout_ms=10_000)
    await productor.start()
    try:
        await productor.send_and_wait(ingreso, b"{}")

        revocada = provision.revocar(infra_segura, cred.institucion, carpeta_credenciales=tmp_path)

        assert revocada.usuario_borrado and revocada.acls_borradas >= 3
        assert not list(tmp_path.glob(f"{cred.usuario}.*"))
        # La conexión ya autenticada pierde sus permisos al instante; una nueva ni se autentica.
        with pytest.raises(TopicAuthorizationFailedError):
            await productor.send_and_wait(ingreso, b"{}")
    finally:
        await productor.stop()
    hasta(lambda: conectar(celaya.librdkafka(), 3) is not None)
    assert conectar(celaya.librdkafka()).code() == KafkaError._AUTHENTICATION


def test_dar_de_alta_otra_vez_no_cambia_la_clave(infra_segura, alta, tmp_path):
    conexion, cred = alta("silao")
    llamadas = []

    otra_vez = provision.alta_institucion(infra_segura, cred.institucion, carpeta_credenciales=tmp_path,
                                          al_dar_de_alta=llamadas.append)

    assert cred.estado == "creada" and otra_vez.estado == "ya existe" and otra_vez.clave is None
    assert llamadas == [otra_vez]
    assert conectar(conexion.librdkafka()) is None


def alva(*argumentos: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "alva", *argumentos], capture_output=True, text=True, timeout=120)


def test_alva_alta_muestra_la_clave_una_vez_y_credenciales_rota_y_revoca(infra_segura, tmp_path):
    institucion, carpeta = unico("abasolo"), ["--carpeta", str(tmp_path)]

    alta = alva("alta", institucion, *carpeta, "--json")
    otra_vez = alva("alta", institucion, *carpeta)
    rotada = alva("credenciales", "rotar", institucion, *carpeta, "--json")
    revocada = alva("credenciales", "revocar", institucion, *carpeta)
    de_nuevo = alva("credenciales", "revocar", institucion, *carpeta)

    assert alta.returncode == 0, alta.stderr
    creada = json.loads(alta.stdout)
    assert creada["estado"] == "creada" and creada["clave"] and creada["usuario"] == f"institucion-{institucion}"
    assert {pathlib.Path(a).name for a in creada["archivos"]} == {
        f"institucion-{institucion}.json", f"institucion-{institucion}.properties",
        f"institucion-{institucion}.aiokafka.json"}
    assert otra_vez.returncode == 0 and "ya existe" in otra_vez.stdout and creada["clave"] not in otra_vez.stdout
    assert rotada.returncode == 0 and json.loads(rotada.stdout)["clave"] != creada["clave"]
    assert revocada.returncode == 0 and "revocada" in revocada.stdout
    assert de_nuevo.returncode == 1 and "nada que revocar" in de_nuevo.stderr
    assert alva("alta", "Abasolo Gto").returncode == 2


# ---------- aprovisionamiento ----------

def test_preparar_dos_veces_es_idempotente(infra_segura, tmp_path):
    otorgante = unico("imug")

    primera = provision.preparar(infra_segura, otorgantes=["prodheg", otorgante], carpeta_credenciales=tmp_path)
    segunda = provision.preparar(infra_segura, otorgantes=["prodheg", otorgante], carpeta_credenciales=tmp_path)

    # La primera sólo añade al otorgante nuevo: lo de la plataforma ya estaba desde el arranque.
    assert set(primera.topicos) == set(topicos_institucion(otorgante))
    assert primera.principales == [f"institucion-{otorgante}"] and primera.acls > 0
    assert not segunda, segunda
    assert [c.estado for c in segunda.instituciones] == ["ya existe", "ya existe"]
    # Los principales de los servicios conservan su clave (la del entorno embebido sigue valiendo).
    assert conectar(conexion_embebida("alva-convenios").librdkafka()) is None


async def test_los_topicos_usan_el_tiempo_del_broker(infra_segura, alta):
    conexion, cred = alta("guanajuato")
    topicos = [*TOPICOS_PLATAFORMA, *topicos_institucion(cred.institucion)]
    admin = AdminClient(infra_segura.librdkafka(), logger=silencio)
    futuros = admin.describe_configs([ConfigResource(ResourceType.TOPIC, t) for t in topicos])
    configs = {r.name: f.result() for r, f in futuros.items()}
    assert {t: c["message.timestamp.type"].value for t, c in configs.items()} == dict.fromkeys(topicos, "LogAppendTime")
    # Lo que escribe una institución se guarda sin comprimir; lo de la plataforma, como lo mande su productor.
    assert {t: c["compression.type"].value for t, c in configs.items()} == {
        t: "uncompressed" if t == topico_ingreso(cred.institucion) else "producer" for t in topicos}

    # Aunque el productor diga 2001, el registro lleva la hora del broker.
    hace_mucho = int(datetime(2001, 1, 1, tzinfo=UTC).timestamp() * 1000)
    antes = time.time() * 1000
    hecho = await escribir(conexion, topicos_institucion(cred.institucion)[0], timestamp_ms=hace_mucho)
    assert hecho.timestamp_type == 1 and hecho.timestamp >= antes - 1000


# ---------- kcat ----------

def test_kcat_envia_un_reporte_con_el_archivo_de_propiedades_de_la_institucion(infra_segura, alta, tmp_path):
    ejecutable = kcat.asegurar()
    assert ejecutable, "kcat no está instalado: `make` lo instala (python -m infra.kcat)"
    _, cred = alta("dolores")
    propiedades = next(a for a in cred.archivos if a.suffix == ".properties")
    ingreso = topicos_institucion(cred.institucion)[0]
    reporte = tmp_path / "reporte.json"
    reporte.write_text(json.dumps({
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": f"/instituciones/{cred.institucion}/rh",
        "type": "mx.alva.ingreso.sesion.completada.v1", "institucion": cred.institucion, "data": {}}))

    r = subprocess.run([str(ejecutable), "-F", str(propiedades), "-P", "-t", ingreso, "-k", cred.institucion,
                        "-H", "content-type=application/cloudevents+json", str(reporte)],
                       capture_output=True, text=True, timeout=60)

    assert r.returncode == 0, r.stderr
    operador = conexion_embebida("alva-operador")
    leido = leer(operador, ingreso, "alva-pruebas-kcat")
    assert not isinstance(leido, KafkaError), leido
    assert leido.value() == reporte.read_bytes() and leido.key() == cred.institucion.encode()
    assert ("content-type", b"application/cloudevents+json") in leido.headers()


# ---------- datos de una versión sin seguridad ----------

def test_los_datos_de_un_kafka_en_claro_no_se_reutilizan(monkeypatch, tmp_path):
    kafka = tmp_path / "datos" / "kafka"
    (kafka / "datos").mkdir(parents=True)
    (kafka / "datos" / "meta.properties").write_text("node.id=1\n")
    (kafka / "server.properties").write_text("listeners=PLAINTEXT://127.0.0.1:19092\n")
    monkeypatch.setenv("ALVA_DATOS", str(tmp_path / "datos"))

    with pytest.raises(entorno.ErrorEntorno) as error:
        entorno.arrancar(("kafka",), salida=lambda _: None)

    assert "without security" in str(error.value) and "detener --borrar" in str(error.value)
