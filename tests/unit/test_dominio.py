"""Reglas puras: cómo cuentan los indicadores, cuándo se es elegible, cuánto dura un distintivo."""

from datetime import date

import pytest

from esquemas.comun import Indicador
from servicios.capacitacion.dominio import ConvenioConocido, id_constancia
from servicios.comun import Cuenta, huella, normal
from servicios.convenios.dominio import (
    INDICADORES,
    Actividad,
    EvidenciaAprobada,
    Objetivo as ObjetivoDelConvenio,
    Sesion,
    aporte,
    cambio,
    problema_de_modificacion,
)
from servicios.distintivos.dominio import sumar_meses, vigencia

pytestmark = pytest.mark.unit

SESION = Sesion("S1", "Herramientas para la Igualdad", "virtual", date(2025, 4, 10), 2.5, ("emp-1", "emp-2"))
CAMPANA = Actividad("A1", "campanas_realizadas", 1, date(2025, 11, 25), "Día Naranja", "presencial")
ASESORIAS = Actividad("A2", "asesorias_brindadas", 35, date(2025, 6, 1))
MATERIAL = Actividad("A3", "material_distribuido", 500, date(2025, 6, 1))
PROTOCOLO = EvidenciaAprobada("E1", "o", date(2025, 7, 1))

# Cada indicador: qué aporta cada clase de hecho (sesión, campaña, asesorías, material, evidencia del objetivo "o").
APORTES = {
    "personas_capacitadas": {SESION: [("persona:emp-1", 1), ("persona:emp-2", 1)]},
    "sesiones_impartidas": {SESION: [("sesion:S1", 1)]},
    "horas_capacitacion": {SESION: [("sesion:S1", 2.5)]},
    "constancias_emitidas": {SESION: [("constancia:S1:emp-1", 1), ("constancia:S1:emp-2", 1)]},
    "campanas_realizadas": {CAMPANA: [("actividad:A1", 1)]},
    "asesorias_brindadas": {ASESORIAS: [("actividad:A2", 35)]},
    "material_distribuido": {MATERIAL: [("actividad:A3", 500)]},
    "protocolo_actualizado": {PROTOCOLO: [("evidencia:E1", 1)]},
    "mecanismo_cooperacion": {PROTOCOLO: [("evidencia:E1", 1)]},
    "difusion_servicios": {PROTOCOLO: [("evidencia:E1", 1)]},
}


def Objetivo(*args, **kw) -> ObjetivoDelConvenio:  # noqa: N802 - los objetivos de un convenio de prueba
    return ObjetivoDelConvenio("C1", *args, **kw)


def test_cada_indicador_del_esquema_tiene_su_medida():
    assert set(INDICADORES) == {i.value for i in Indicador} == set(APORTES)


@pytest.mark.parametrize("indicador", sorted(APORTES))
def test_lo_que_cada_hecho_aporta_a_cada_indicador(indicador):
    objetivo = Objetivo("o", indicador, 10)
    for hecho in (SESION, CAMPANA, ASESORIAS, MATERIAL, PROTOCOLO):
        assert aporte(objetivo, hecho) == APORTES[indicador].get(hecho, [])


def test_personas_distintas_y_evidencia_de_otro_objetivo():
    # La misma persona en dos sesiones aporta la misma unidad: el valor la cuenta una vez.
    otra = Sesion("S2", "Protocolo Alba", "presencial", date(2025, 5, 1), 2, ("emp-2", "emp-3"))
    unidades = {u for h in (SESION, otra) for u, _ in aporte(Objetivo("o", "personas_capacitadas", 3), h)}
    assert unidades == {"persona:emp-1", "persona:emp-2", "persona:emp-3"}
    assert aporte(Objetivo("otro", "protocolo_actualizado", 1), PROTOCOLO) == []


def test_los_filtros_de_tema_y_modalidad():
    assert aporte(Objetivo("o", "sesiones_impartidas", 1, tema="herramientas  para la IGUALDAD"), SESION)
    assert not aporte(Objetivo("o", "sesiones_impartidas", 1, modalidad="presencial"), SESION)
    assert not aporte(Objetivo("o", "sesiones_impartidas", 1, tema="Protocolo Alba"), SESION)
    assert aporte(Objetivo("o", "campanas_realizadas", 1, modalidad="presencial"), CAMPANA)
    assert not aporte(Objetivo("o", "campanas_realizadas", 1, tema="Otra campaña"), CAMPANA)


def test_un_objetivo_cumplido_no_se_quita_ni_se_cambia():
    cumplido = Objetivo("a", "sesiones_impartidas", 3, valor=3, cumplido=True)
    pendiente = Objetivo("b", "personas_capacitadas", 10, valor=4)
    assert problema_de_modificacion([cumplido, pendiente], [cumplido, Objetivo("b", "personas_capacitadas", 20)]) is None
    assert problema_de_modificacion([cumplido, pendiente], [pendiente])[0] == "objetivo_ya_cumplido"
    assert problema_de_modificacion([cumplido], [Objetivo("a", "sesiones_impartidas", 5)])[0] == "objetivo_ya_cumplido"


def test_un_convenio_dice_por_que_no_admite_una_sesion():
    c = ConvenioConocido("C1", "imss-guanajuato", date(2025, 3, 1), date(2026, 2, 28), "vigente")
    assert c.problema_para("imss-guanajuato", date(2025, 4, 10)) is None
    assert c.problema_para("penjamo", date(2025, 4, 10))[0] == "convenio_ajeno"
    assert c.problema_para("imss-guanajuato", date(2026, 3, 1))[0] == "fecha_fuera_de_vigencia"


def test_constancias_y_huellas_estables():
    assert id_constancia("imss", "S1", "emp-1") == id_constancia("imss", "S1", "emp-1")
    assert id_constancia("imss", "S1", "emp-1") != id_constancia("imss", "S1", "emp-2")
    assert huella({"a": 1, "b": 2}) == huella({"b": 2, "a": 1})


def test_la_vigencia_no_pasa_del_convenio():
    assert vigencia(date(2025, 5, 1), 12, date(2027, 1, 1)) == (date(2025, 5, 1), date(2026, 5, 1))
    assert vigencia(date(2025, 5, 1), 12, date(2025, 12, 31))[1] == date(2025, 12, 31)
    assert sumar_meses(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_el_avance_se_lleva_por_diferencias_sin_recorrer_la_historia():
    # Personas distintas: emp-2 asiste a dos sesiones y cuenta una vez; corregir y cancelar sólo mueve la diferencia.
    personas, horas, cuenta = Objetivo("p", "personas_capacitadas", 10), Objetivo("h", "horas_capacitacion", 10), Cuenta()
    s2 = Sesion("S2", "Protocolo Alba", "presencial", date(2025, 5, 1), 3, ("emp-2", "emp-3"))
    assert cambio(personas, None, SESION, cuenta) == 2
    assert cambio(personas, None, s2, cuenta) == 1
    assert cuenta.referencias["persona:emp-2"] == {"p": 2}
    corregida = Sesion("S2", "Protocolo Alba", "presencial", date(2025, 5, 1), 4, ("emp-2", "emp-4", "emp-5"))
    assert cambio(personas, s2, corregida, cuenta) == 1  # sale emp-3, entran emp-4 y emp-5
    assert cambio(personas, SESION, None, cuenta) == -1  # cancelar S1: emp-2 sigue en S2; emp-1 ya no cuenta
    assert cambio(horas, s2, corregida, Cuenta()) == 1  # horas: 3 → 4


def test_los_temas_se_comparan_sin_acentos_ni_mayusculas_en_un_solo_lugar():
    assert normal("  Prevención   del ACOSO ") == normal("prevencion del acoso") == "prevencion del acoso"
