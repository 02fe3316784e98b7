"""ConexionKafka da los mismos ajustes a aiokafka, FastStream y librdkafka, y los toma del entorno o de lo embebido."""

import json
import ssl

import pytest
from faststream.kafka import KafkaBroker
from faststream.security import SASLScram512

from infra import tls
from plataforma.kafka import ConexionKafka, SinCredenciales, conexion_desde_entorno, conexion_embebida

pytestmark = pytest.mark.unit

VARIABLES = ("KAFKA_BOOTSTRAP_SERVERS", "ALVA_KAFKA_BOOTSTRAP_SERVERS", "ALVA_KAFKA_PROTOCOLO", "ALVA_KAFKA_MECANISMO",
             "ALVA_KAFKA_USUARIO", "ALVA_KAFKA_CLAVE", "ALVA_KAFKA_CLAVE_ARCHIVO", "ALVA_KAFKA_CA")


@pytest.fixture
def datos(monkeypatch, tmp_path):
    """Una carpeta de datos embebida con su autoridad y la clave de alva-convenios."""
    for variable in VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("ALVA_DATOS", str(tmp_path))
    monkeypatch.setenv("ALVA_KAFKA_PUERTO", "39092")
    tls.asegurar(tmp_path / "kafka" / "tls")
    principales = tmp_path / "kafka" / "principales"
    principales.mkdir(parents=True)
    (principales / "alva-convenios.json").write_text(json.dumps({"usuario": "alva-convenios", "clave": "s3creta"}))
    return tmp_path


def test_aiokafka_con_sasl_ssl_valida_al_broker_con_la_autoridad(datos):
    opciones = conexion_embebida("alva-convenios").aiokafka()
    contexto = opciones.pop("ssl_context")
    assert opciones == {"bootstrap_servers": "127.0.0.1:39092", "security_protocol": "SASL_SSL",
                        "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "alva-convenios",
                        "sasl_plain_password": "s3creta"}
    assert isinstance(contexto, ssl.SSLContext) and contexto.check_hostname
    assert contexto.verify_mode == ssl.CERT_REQUIRED and contexto.get_ca_certs()[0]["subject"]


def test_faststream_recibe_la_seguridad_scram(datos):
    opciones = conexion_embebida("alva-convenios").faststream()
    seguridad = opciones["security"]
    assert isinstance(seguridad, SASLScram512) and seguridad.use_ssl
    assert (seguridad.username, seguridad.password) == ("alva-convenios", "s3creta")
    KafkaBroker(**opciones)  # sin conectarse: basta con que lo acepte


def test_librdkafka_y_el_archivo_de_kcat(datos):
    c = conexion_embebida("alva-convenios")
    assert c.librdkafka() == {"bootstrap.servers": "127.0.0.1:39092", "security.protocol": "SASL_SSL",
                              "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "alva-convenios",
                              "sasl.password": "s3creta", "ssl.ca.location": str(datos / "kafka/tls/ca.pem")}
    assert "sasl.password=s3creta\n" in c.propiedades()
    assert "s3creta" not in repr(c)


def test_sin_nada_dado_se_usa_el_principal_embebido(datos):
    assert conexion_desde_entorno("alva-convenios") == conexion_embebida("alva-convenios")


def test_un_kafka_propio_sin_credenciales_es_en_claro(datos, monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka.example:9092")
    c = conexion_desde_entorno("alva-convenios")
    assert (c.protocolo, c.usuario, c.ca) == ("PLAINTEXT", None, None)
    assert c.aiokafka() == {"bootstrap_servers": "kafka.example:9092", "security_protocol": "PLAINTEXT"}
    assert c.faststream() == {"bootstrap_servers": "kafka.example:9092"}


def test_un_kafka_propio_con_scram(datos, monkeypatch, tmp_path):
    clave = tmp_path / "clave.json"
    clave.write_text(json.dumps({"usuario": "svc", "clave": "de-archivo"}))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka.example:9093")
    monkeypatch.setenv("ALVA_KAFKA_USUARIO", "svc")
    monkeypatch.setenv("ALVA_KAFKA_MECANISMO", "scram-sha-256")
    monkeypatch.setenv("ALVA_KAFKA_CLAVE_ARCHIVO", str(clave))
    monkeypatch.setenv("ALVA_KAFKA_CA", str(datos / "kafka/tls/ca.pem"))
    c = conexion_desde_entorno("alva-convenios")
    assert c == ConexionKafka("kafka.example:9093", "SASL_SSL", "SCRAM-SHA-256", "svc", "de-archivo",
                              datos / "kafka/tls/ca.pem")
    monkeypatch.setenv("ALVA_KAFKA_CLAVE", "de-variable")
    assert conexion_desde_entorno("alva-convenios").clave == "de-variable"


def test_sin_clave_el_error_dice_donde_darla(datos, monkeypatch):
    with pytest.raises(SinCredenciales, match="make infra"):
        conexion_embebida("alva-operador")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka.example:9093")
    monkeypatch.setenv("ALVA_KAFKA_USUARIO", "svc")
    with pytest.raises(SinCredenciales, match="ALVA_KAFKA_CLAVE"):
        conexion_desde_entorno("alva-convenios")
