"""Reglas puras: cómo cuentan los indicadores, cuándo se es elegible, cuánto dura un distintivo."""

from datetime import date

import pytest

from servicios.capacitacion.dominio import ConvenioConocido, huella, id_constancia
from servicios.convenios.dominio import Objetivo, Sesion, unidades_de_sesion
from servicios.distintivos.dominio import ObjetivoVisto, ReglasPrograma, evaluar, sumar_meses, vigencia

pytestmark = pytest.mark.unit

SESION = Sesion("S1", "Herramientas para la Igualdad", "virtual", date(2025, 4, 10), 2.5, ("emp-1", "emp-2"))


@pytest.mark.parametrize("indicador,esperado", [
    ("personas_capacitadas", [("persona:emp-1", 1), ("persona:emp-2", 1)]),
    ("sesiones_impartidas", [("sesion:S1", 1)]),
    ("horas_capacitacion", [("sesion:S1", 2.5)]),
    ("constancias_emitidas", [("constancia:S1:emp-1", 1), ("constancia:S1:emp-2", 1)]),
    ("asesorias_brindadas", []),
])
def test_lo_que_una_sesion_aporta_a_cada_indicador(indicador, esperado):
    assert unidades_de_sesion(Objetivo("o", indicador, 10), SESION) == esperado


def test_los_filtros_de_tema_y_modalidad():
    assert unidades_de_sesion(Objetivo("o", "sesiones_impartidas", 1, tema="herramientas  para la IGUALDAD"), SESION)
    assert not unidades_de_sesion(Objetivo("o", "sesiones_impartidas", 1, modalidad="presencial"), SESION)
    assert not unidades_de_sesion(Objetivo("o", "sesiones_impartidas", 1, tema="Protocolo Alba"), SESION)


def test_un_convenio_dice_por_que_no_admite_una_sesion():
    c = ConvenioConocido("C1", "imss-guanajuato", date(2025, 3, 1), date(2026, 2, 28), "vigente")
    assert c.problema_para("imss-guanajuato", date(2025, 4, 10)) is None
    assert c.problema_para("penjamo", date(2025, 4, 10))[0] == "convenio_ajeno"
    assert c.problema_para("imss-guanajuato", date(2026, 3, 1))[0] == "fecha_fuera_de_vigencia"


def test_constancias_y_huellas_estables():
    assert id_constancia("imss", "S1", "emp-1") == id_constancia("imss", "S1", "emp-1")
    assert id_constancia("imss", "S1", "emp-1") != id_constancia("imss", "S1", "emp-2")
    assert huella({"a": 1, "b": 2}) == huella({"b": 2, "a": 1})


def test_elegible_solo_con_todos_los_objetivos():
    cumplido = ObjetivoVisto("a", "A", "sesiones_impartidas", 3, 3, date(2025, 5, 1))
    pendiente = ObjetivoVisto("b", "B", "personas_capacitadas", 10, None, None)
    assert not evaluar([cumplido, pendiente]).elegible
    assert evaluar([cumplido, pendiente]).faltantes == ("b",)
    assert evaluar([cumplido]).elegible
    assert not evaluar([]).elegible


def test_la_vigencia_no_pasa_del_convenio():
    assert vigencia(date(2025, 5, 1), ReglasPrograma(12), date(2027, 1, 1)) == (date(2025, 5, 1), date(2026, 5, 1))
    assert vigencia(date(2025, 5, 1), ReglasPrograma(12), date(2025, 12, 31))[1] == date(2025, 12, 31)
    assert sumar_meses(date(2024, 1, 31), 1) == date(2024, 2, 29)
