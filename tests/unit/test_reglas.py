"""Las reglas de un programa son datos: ALVA v1 tal como se entrega, y un segundo programa sin una línea de código."""

from datetime import date
from pathlib import Path

import pytest

from servicios.distintivos.reglas import ObjetivoVisto, SesionVista, Situacion, cargar, evaluar, leer

pytestmark = pytest.mark.unit

ALVA = cargar()["ALVA"][-1]
IMUG = cargar(Path(__file__).parent.parent / "datos" / "programas")["IMUG"][-1]
VIGENCIA = (date(2025, 3, 1), date(2026, 2, 28))
CUMPLIDO = ObjetivoVisto("capacitar", "Capacitar a 10 personas", "personas_capacitadas", 10, 11, date(2025, 5, 1))
PENDIENTE = ObjetivoVisto("protocolo", "Actualizar el protocolo", "protocolo_actualizado", 1, None, None)


def sesion(tema: str, modalidad: str = "presencial", fecha: date = date(2025, 4, 1), horas: float = 2) -> SesionVista:
    return SesionVista(tema, modalidad, fecha, horas)


def faltantes(reglas, situacion) -> list[str]:
    return [r.nombre for r in evaluar(reglas, situacion)[1] if not r.cumplido]


def test_alva_otorga_con_objetivos_tema_obligatorio_y_presencialidad():
    situacion = Situacion(VIGENCIA, [CUMPLIDO], [sesion("Cero tolerancia al hostigamiento y acoso sexual"),
                                                 sesion("Herramientas para la Igualdad", "virtual")])
    assert evaluar(ALVA, situacion)[0] is True
    assert faltantes(ALVA, situacion) == []


def test_alva_dice_que_falta():
    # Un objetivo pendiente, ninguna sesión del tema obligatorio y todo en línea.
    situacion = Situacion(VIGENCIA, [CUMPLIDO, PENDIENTE], [sesion("Herramientas para la Igualdad", "virtual")])
    elegible, requisitos = evaluar(ALVA, situacion)
    assert not elegible
    assert faltantes(ALVA, situacion) == [
        "Objetivo: Actualizar el protocolo",
        "Al menos una sesión sobre prevención de la violencia, el hostigamiento o el acoso",
        "Al menos 30 % de las sesiones presenciales",
    ]
    assert {r.nombre: r.detalle for r in requisitos}["Al menos 30 % de las sesiones presenciales"] == "0% de 30%"


def test_alva_solo_cuenta_sesiones_dentro_de_la_vigencia():
    fuera = sesion("Prevención de la violencia laboral", fecha=date(2024, 12, 1))
    assert not evaluar(ALVA, Situacion(VIGENCIA, [CUMPLIDO], [fuera]))[0]


def test_sin_objetivos_no_hay_distintivo():
    assert not evaluar(ALVA, Situacion(VIGENCIA, [], [sesion("Acoso sexual")]))[0]


def test_un_segundo_programa_definido_solo_con_datos():
    temas = ["Implementación del Modelo de Prevención, Atención y Acompañamiento Integral",
             "Órdenes de protección administrativas", "¿Qué es un proceso de Alerta de Violencia de Género?",
             "Protocolo Alba y Alerta Amber"]
    completas = Situacion(VIGENCIA, [PENDIENTE], [sesion(t, horas=2.5) for t in temas])
    assert IMUG.otorgante == "imug" and IMUG.vigencia_meses == 24
    # Sus objetivos de convenio no cuentan: cuatro temas (tres de los opcionales) y 10 horas en 2025.
    assert evaluar(IMUG, completas)[0] is True
    # Con sólo dos temas opcionales no alcanza el mínimo del grupo "alguno".
    dos_opcionales = Situacion(VIGENCIA, [], [sesion(t, horas=5) for t in temas[:3]])
    assert not evaluar(IMUG, dos_opcionales)[0]
    assert "Protocolo Alba y Alerta Amber" in faltantes(IMUG, dos_opcionales)
    # Horas fuera de 2025 no cuentan.
    en_2026 = Situacion(VIGENCIA, [], [sesion(t, fecha=date(2026, 1, 15), horas=3) for t in temas])
    assert "10 horas durante 2025" in faltantes(IMUG, en_2026)


def test_un_archivo_de_reglas_mal_escrito_dice_donde(tmp_path):
    malo = tmp_path / "v1.toml"
    malo.write_text('programa = "X"\nversion = 1\nnombre = "X"\notorgante = "x"\n'
                    '[requisito]\ntodos = [{ sesiones = {}, minimo = 1 }, { medallas = 3 }]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"requisito.todos\[1\].*medallas"):
        leer(malo)
