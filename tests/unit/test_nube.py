"""Leer un registro de Kafka nunca lanza: lo ilegible vuelve con un error que se puede explicar."""

import pytest

from esquemas import CONTENT_TYPE, CloudEvent
from plataforma.nube import leer

pytestmark = pytest.mark.unit

CABECERAS = [("content-type", CONTENT_TYPE.encode())]


def test_un_cloudevent_valido_se_lee():
    evento = CloudEvent(source="/s", type="mx.alva.ingreso.sesion.completada.v1", data={"a": 1},
                        institucion="penjamo")
    entrada = leer("alva.ingreso.penjamo", 0, 7, b"penjamo", evento.a_json(), CABECERAS)
    assert entrada.error is None
    assert entrada.evento.id == evento.id
    assert entrada.clave_inbox == str(evento.id)


def test_lo_que_no_es_json_se_explica():
    entrada = leer("alva.ingreso.penjamo", 1, 9, None, b"\xff{no es json", CABECERAS)
    assert entrada.evento is None
    assert entrada.error.codigo == "json_invalido"
    assert entrada.clave_inbox == "alva.ingreso.penjamo:1:9"


def test_un_json_que_no_es_cloudevent_nombra_el_campo():
    entrada = leer("alva.ingreso.penjamo", 0, 1, None, b'{"specversion": "1.0", "type": "x", "data": {}}', [])
    assert entrada.error.codigo == "sobre_invalido"
    assert entrada.error.campo in {"id", "source", "institucion"} or "source" in entrada.error.motivo


def test_un_content_type_ajeno_se_rechaza():
    entrada = leer("alva.ingreso.penjamo", 0, 1, None, b"<xml/>", [("content-type", b"application/xml")])
    assert entrada.error.codigo == "content_type_no_soportado"
