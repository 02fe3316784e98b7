"""La matriz de ACLs es de mínimo privilegio: cada principal escribe lo suyo; una institución sólo ve lo suyo."""

import pytest

from plataforma.permisos import (CANONICOS, OPERADOR, SERVICIOS, TOPICOS_PLATAFORMA, exigir_id, permisos_institucion,
                                 permisos_operador, permisos_servicio, principal_servicio, topicos_institucion)

pytestmark = pytest.mark.unit


def matriz() -> list:
    return ([p for s in SERVICIOS for p in permisos_servicio(s)] + permisos_operador(["prodheg"])
            + permisos_institucion("penjamo") + permisos_institucion("imss-guanajuato"))


def quienes(operacion: str, topico: str) -> set[str]:
    """Los principales a los que la matriz deja `operacion` sobre `topico` (literal o por prefijo)."""
    return {p.principal for p in matriz() if p.recurso == "topic" and p.operacion == operacion
            and (p.nombre == topico if p.patron == "literal" else topico.startswith(p.nombre))}


def test_los_topicos_de_la_plataforma():
    assert set(TOPICOS_PLATAFORMA) == {
        "alva.convenios", "alva.capacitacion", "alva.capacitacion.constancias", "alva.distintivos",
        "alva.notificaciones", "alva.rechazos",
        "alva.control", "alva.reenvios", "alva.convenios.dlq", "alva.capacitacion.dlq", "alva.distintivos.dlq",
        "alva.rechazos.dlq"}
    assert topicos_institucion("penjamo") == ("alva.ingreso.penjamo", "alva.ingreso.penjamo.dlq",
                                              "alva.respuestas.penjamo")


def test_solo_el_dueno_escribe_su_topico_canonico():
    assert quienes("WRITE", "alva.distintivos") == {"alva-distintivos"}
    for servicio, topico in CANONICOS.items():
        assert quienes("WRITE", topico) == {principal_servicio(servicio)}
    assert quienes("WRITE", "alva.capacitacion.constancias") == {"alva-capacitacion"}
    assert "alva-operador" in quienes("READ", "alva.capacitacion.constancias")


def test_una_institucion_escribe_su_ingreso_y_lee_sus_respuestas_nada_mas():
    propios = [p for p in matriz() if p.principal == "institucion-penjamo"]
    assert {(p.recurso, p.nombre, p.patron, p.operacion) for p in propios} == {
        ("topic", "alva.ingreso.penjamo", "literal", "WRITE"),
        ("topic", "alva.ingreso.penjamo", "literal", "DESCRIBE"),
        ("topic", "alva.respuestas.penjamo", "literal", "READ"),
        ("group", "institucion-penjamo", "literal", "READ"),
        ("group", "institucion-penjamo.", "prefixed", "READ")}
    assert quienes("WRITE", "alva.ingreso.penjamo") == {"institucion-penjamo"}
    assert quienes("READ", "alva.respuestas.penjamo") == {"institucion-penjamo", OPERADOR}
    assert "institucion-penjamo" not in quienes("READ", "alva.rechazos")


def test_los_servicios_leen_sus_entradas_y_escriben_rechazos_respuestas_y_dlqs():
    assert quienes("READ", "alva.ingreso.penjamo") == {"alva-convenios", "alva-capacitacion", "alva-distintivos",
                                                       OPERADOR}
    assert quienes("WRITE", "alva.ingreso.penjamo.dlq") == {"alva-convenios", "alva-capacitacion",
                                                            "alva-distintivos"}
    assert quienes("WRITE", "alva.rechazos") == {principal_servicio(s) for s in SERVICIOS}
    assert quienes("WRITE", "alva.respuestas.penjamo") == {principal_servicio(s) for s in SERVICIOS}
    assert quienes("READ", "alva.rechazos") == {"alva-notificaciones", OPERADOR}
    assert quienes("WRITE", "alva.rechazos.dlq") == {"alva-notificaciones"}
    assert quienes("READ", "alva.control") == {principal_servicio(s) for s in SERVICIOS} | {OPERADOR}


def test_el_operador_lee_todo_y_escribe_solo_el_ingreso_del_otorgante_y_reenvios():
    escribe = {p.nombre for p in permisos_operador(["prodheg"]) if p.operacion == "WRITE"}
    assert escribe == {"alva.ingreso.prodheg", "alva.reenvios"}
    assert quienes("WRITE", "alva.control") == set()


@pytest.mark.parametrize("malo", ["", "*", "Penjamo", "pen.jamo", "pen_jamo", "-penjamo", "penjamo-", "a--b"])
def test_un_id_que_no_es_slug_no_llega_a_una_acl(malo):
    with pytest.raises(ValueError):
        exigir_id(malo)
    with pytest.raises(ValueError):
        permisos_institucion(malo)
