"""Leer un registro de Kafka nunca lanza y tiene límites: lo ilegible vuelve con un error que se puede explicar."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from esquemas import CONTENT_TYPE, CloudEvent
from plataforma.nube import ESPACIO_HECHOS, LIMITE_BYTES, PROFUNDIDAD_MAX, ajeno, leer, uuid5

pytestmark = pytest.mark.unit

CABECERAS = [("content-type", CONTENT_TYPE.encode())]
MARCA = datetime(2026, 11, 20, 12, tzinfo=UTC)
BUENO = {"specversion": "1.0", "id": "r-1", "source": "/s", "type": "mx.alva.ingreso.sesion.completada.v1",
         "institucion": "penjamo", "data": {"a": 1}}


def entrada(valor: bytes, cabeceras=CABECERAS, offset: int = 9):
    return leer("alva.ingreso.penjamo", 1, offset, MARCA, b"penjamo", valor, cabeceras)


def test_un_cloudevent_valido_se_lee_y_su_llave_de_idempotencia_es_de_su_institucion():
    e = entrada(json.dumps(BUENO).encode())
    assert e.error is None and e.evento.id == "r-1" and e.marca == MARCA
    assert e.clave_inbox == "penjamo/r-1"  # otra institución con el mismo id no choca con ésta


@pytest.mark.parametrize("falta", ["id", "source", "specversion", "type"])
def test_falta_un_atributo_obligatorio_de_cloudevents(falta):
    e = entrada(json.dumps({k: v for k, v in BUENO.items() if k != falta}).encode())
    assert e.error.codigo == "sobre_invalido" and e.error.campo == falta
    assert "obligatorio" in e.error.motivo


HOSTILES = {
    "no es UTF-8": (b"\xff{no es json", "texto_invalido"),
    "no es JSON": (b"{esto no", "json_invalido"),
    "vacio": (b"", "json_invalido"),
    "no es un objeto": (b"[1, 2, 3]", "sobre_invalido"),
    "sustituto suelto": (json.dumps({**BUENO, "data": {"x": "A"}}).replace('"A"', '"x\\udc80y"').encode(), "texto_invalido"),
    "nulo en un texto": (json.dumps({**BUENO, "source": "a\u0000b"}).encode(), "texto_invalido"),
    "anidado en data": (json.dumps({**BUENO, "data": {"x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}).encode(),
                        "profundidad_excesiva"),
    "200 KB de corchetes": (b"[" * 100_000 + b"]" * 100_000, "profundidad_excesiva"),
    "extension objeto": (json.dumps({**BUENO, "extra": {"a": {"b": 1}}}).encode(), "sobre_invalido"),
    "demasiado grande": (b'{"a": "' + b"x" * LIMITE_BYTES + b'"}', "demasiado_grande"),
    "specversion ajena": (json.dumps({**BUENO, "specversion": "0.3"}).encode(), "sobre_invalido"),
    "id enorme": (json.dumps({**BUENO, "id": "x" * 5000}).encode(), "sobre_invalido"),
}


@pytest.mark.parametrize("nombre", sorted(HOSTILES))
def test_lo_hostil_vuelve_con_su_codigo_y_nunca_lanza(nombre):
    valor, codigo = HOSTILES[nombre]
    e = entrada(valor)
    assert e.evento is None and e.error.codigo == codigo, e.error
    assert e.clave_inbox == "alva.ingreso.penjamo:1@9"


def test_la_profundidad_permitida_alcanza_para_un_reporte_real():
    anidado: object = 1
    for _ in range(PROFUNDIDAD_MAX - 2):
        anidado = [anidado]
    assert entrada(json.dumps({**BUENO, "data": {"x": anidado}}).encode()).error is None


def test_un_content_type_ajeno_se_rechaza():
    assert entrada(b"<xml/>", [("content-type", b"application/xml")]).error.codigo == "content_type_no_soportado"


def test_fuera_de_un_ingreso_lo_que_no_le_toca_ni_se_decodifica():
    cabeceras = [("content-type", CONTENT_TYPE.encode()), ("alva-tipo", b"mx.alva.capacitacion.constancia.emitida.v1")]
    ajena = leer("alva.capacitacion", 0, 1, MARCA, b"x", b"{roto", cabeceras, utiles=frozenset({"otro"}))
    assert ajena.omitida and ajena.error is None
    # En un ingreso nadie confía en la cabecera: se lee siempre.
    assert not leer("alva.ingreso.penjamo", 0, 1, MARCA, b"x", b"{roto", cabeceras, utiles=frozenset()).omitida


def test_en_un_ingreso_quien_no_es_guardian_solo_decodifica_lo_que_nombra_uno_de_sus_tipos():
    suyo, ajeno = "mx.alva.ingreso.distintivo.revocado.v1", "mx.alva.ingreso.sesion.completada.v1"
    nombres = (suyo.encode(),)

    def en_ingreso(valor: bytes, **como):
        return leer("alva.ingreso.penjamo", 0, 1, MARCA, b"penjamo", valor, [("content-type", CONTENT_TYPE.encode())],
                    utiles=frozenset({suyo}), **como)

    reporte = json.dumps({**BUENO, "type": ajeno}).encode()
    assert en_ingreso(reporte, nombres=nombres).omitida  # no puede ser suyo: ni se lee
    assert en_ingreso(b"{roto", nombres=nombres).omitida  # lo ilegible lo rechaza el guardián
    # Lo que nombra uno de sus tipos, aunque sea en otro campo, se lee entero; y también lo que trae escapes, que
    # podrían escribir su tipo sin que sus bytes aparezcan tal cual.
    nombrado = en_ingreso(json.dumps({**BUENO, "type": ajeno, "data": {"nota": suyo}}).encode(), nombres=nombres)
    assert not nombrado.omitida and nombrado.evento.type == ajeno
    escapado = json.dumps({**BUENO, "type": suyo}).replace("revocado", "revoc\\u0061do").encode()
    leido = en_ingreso(escapado, nombres=nombres)
    assert not leido.omitida and leido.evento.type == suyo
    # El guardián (sin `nombres`) lee todo, y fuera de los ingresos `nombres` no cuenta.
    assert en_ingreso(reporte).evento.type == ajeno
    fuera = leer("alva.capacitacion", 0, 1, MARCA, b"x", reporte, [], utiles=frozenset({suyo}), nombres=nombres)
    assert not fuera.omitida and fuera.evento.type == ajeno


def test_una_cabecera_que_no_es_texto_no_impide_leer_el_registro():
    e = entrada(json.dumps(BUENO).encode(), [*CABECERAS, ("traza", b"\xff\xfe")])
    assert e.error is None and e.evento.id == "r-1"
    roto = entrada(json.dumps(BUENO).encode(), [("content-type", b"\xffapplication/cloudevents+json")])
    assert roto.error.codigo == "content_type_no_soportado"
    ruteo = [("content-type", CONTENT_TYPE.encode()), ("alva-tipo", b"\xff")]
    assert leer("alva.capacitacion", 0, 1, MARCA, b"x", b"{roto", ruteo, utiles=frozenset({"otro"})).omitida


def test_ajeno_decide_lo_mismo_que_leer_y_la_ultima_cabecera_de_ruteo_manda():
    suyo, otro = "mx.alva.capacitacion.sesion.completada.v1", "mx.alva.capacitacion.constancia.emitida.v1"
    casos = [("alva.capacitacion", [("alva-tipo", otro.encode())]),
             ("alva.capacitacion", [("alva-tipo", suyo.encode())]),
             ("alva.capacitacion", [("alva-tipo", otro.encode()), ("alva-tipo", suyo.encode())]),
             ("alva.capacitacion", [("alva-tipo", suyo.encode()), ("alva-tipo", otro.encode())]),
             ("alva.capacitacion", []),
             ("alva.ingreso.penjamo", [("alva-tipo", otro.encode())])]
    for topico, cabeceras in casos:
        for valor in (json.dumps({**BUENO, "type": otro}).encode(), json.dumps({**BUENO, "type": suyo}).encode()):
            como = {"utiles": frozenset({suyo}), "nombres": (suyo.encode(),)}
            assert ajeno(topico, valor, cabeceras, **como) == leer(topico, 0, 1, MARCA, b"x", valor, cabeceras,
                                                                   **como).omitida
    assert ajeno("alva.capacitacion", b"", [("alva-tipo", otro.encode()), ("alva-tipo", suyo.encode())],
                 utiles=frozenset({suyo})) is False


def test_el_sobre_no_se_inventa_un_id():
    with pytest.raises(ValueError):
        CloudEvent(source="/s", type="t", data={}, institucion="penjamo")


def test_escribir_la_secuencia_u0000_no_es_un_nulo():
    # Un texto que sólo menciona la secuencia (una barra invertida escapada) es un texto válido.
    e = entrada(json.dumps({**BUENO, "data": {"nota": "el carácter \\u0000 no se admite"}}).encode())
    assert e.error is None and "\\u0000" in e.evento.data["nota"]


def test_uuid5_da_lo_mismo_que_la_biblioteca_estandar():
    """Los ids deterministas se arman sin objetos UUID; deben ser los de `uuid.uuid5`, o una reconstrucción cambiaría
    los ids de lo ya publicado."""
    for nombre in ["", "a", "imss-guanajuato/S1/María Peña", "x" * 300, "\u00e1\u00e9\u00ed|\U0001f600|0"]:
        assert uuid5(ESPACIO_HECHOS, nombre) == str(uuid.uuid5(ESPACIO_HECHOS, nombre))
