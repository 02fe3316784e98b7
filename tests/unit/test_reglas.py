"""Las reglas de un programa son datos: ALVA tal como se entrega (lo que dice el registro público), el ejemplo con
umbrales que se enciende a mano, y un segundo programa sin una línea de código. Las cuentas se llevan al día."""

from datetime import date
from pathlib import Path

import pytest

from servicios.comun import Cuenta
from servicios.distintivos.dominio import cambio_de_sesion
from servicios.distintivos.reglas import (
    CARPETA_EJEMPLOS,
    ObjetivoVisto,
    SesionVista,
    Situacion,
    cargar,
    evaluar,
    leer,
)

pytestmark = pytest.mark.unit

ALVA = cargar()["ALVA"][-1]
EJEMPLO = leer(CARPETA_EJEMPLOS / "ALVA-con-tema-y-presencialidad.toml")
IMUG = cargar(Path(__file__).parent.parent / "datos" / "programas")["IMUG"][-1]
VIGENCIA = (date(2025, 3, 1), date(2026, 2, 28))
CUMPLIDO = ObjetivoVisto("capacitar", "Capacitar a 10 personas", "personas_capacitadas", 10, 11, date(2025, 5, 1))
PENDIENTE = ObjetivoVisto("protocolo", "Actualizar el protocolo", "protocolo_actualizado", 1, None, None)


def sesion(tema: str, modalidad: str = "presencial", fecha: date = date(2025, 4, 1), horas: float = 2,
           asistentes: tuple[str, ...] = ()) -> SesionVista:
    return SesionVista(tema, modalidad, fecha, horas, asistentes)


def situacion(reglas, objetivos, sesiones) -> Situacion:
    """Lo que el evaluador tendría tras ver estas sesiones una a una (las cuentas se llevan por diferencias)."""
    avances, personas = {}, Cuenta()
    for s in sesiones:
        cambio_de_sesion(reglas.filtros(), VIGENCIA, None, s, avances, personas)
    return Situacion(VIGENCIA, objetivos, avances)


def faltantes(reglas, s) -> list[str]:
    return [r.nombre for r in evaluar(reglas, s)[1] if not r.cumplido]


def test_alva_pide_lo_que_dice_el_registro_publico_y_nada_mas():
    # Un municipio con sus objetivos cumplidos: 3 de 12 sesiones presenciales (25 %) y ningún tema obligatorio.
    sesiones = [sesion("Lenguaje incluyente", "virtual")] * 9 + [sesion("Nuevas masculinidades")] * 3
    assert evaluar(ALVA, situacion(ALVA, [CUMPLIDO], sesiones))[0] is True
    assert ALVA.version == 2 and ALVA.filtros() == {}


def test_alva_dice_que_falta_y_cuenta_solo_lo_cumplido_en_la_vigencia():
    elegible, requisitos = evaluar(ALVA, situacion(ALVA, [CUMPLIDO, PENDIENTE], []))
    assert not elegible
    assert [r.nombre for r in requisitos if not r.cumplido] == ["Objetivo: Actualizar el protocolo"]
    fuera = ObjetivoVisto("capacitar", "Capacitar a 10 personas", "personas_capacitadas", 10, 11, date(2026, 3, 15))
    assert not evaluar(ALVA, situacion(ALVA, [fuera], []))[0]


def test_sin_objetivos_no_hay_distintivo():
    assert not evaluar(ALVA, situacion(ALVA, [], [sesion("Acoso sexual")]))[0]


def test_el_ejemplo_con_tema_y_presencialidad_se_enciende_a_mano():
    assert EJEMPLO.programa == "ALVA" and EJEMPLO.version == 3
    assert "ALVA-con-tema" not in str(cargar())  # no está en la carpeta de programas: no se aplica solo
    bien = [sesion("Cero tolerancia al hostigamiento y acoso sexual"), sesion("Herramientas para la Igualdad", "virtual")]
    assert evaluar(EJEMPLO, situacion(EJEMPLO, [CUMPLIDO], bien))[0] is True
    mal = situacion(EJEMPLO, [CUMPLIDO], [sesion("Herramientas para la Igualdad", "virtual")] * 4)
    assert faltantes(EJEMPLO, mal) == ["Al menos una sesión sobre prevención de la violencia, el hostigamiento o el acoso",
                                       "Al menos 30 % de las sesiones presenciales"]
    assert {r.nombre: r.detalle for r in evaluar(EJEMPLO, mal)[1]}["Al menos 30 % de las sesiones presenciales"] == "0% de 30%"
    fuera = situacion(EJEMPLO, [CUMPLIDO], [sesion("Prevención de la violencia laboral", fecha=date(2024, 12, 1))])
    assert not evaluar(EJEMPLO, fuera)[0]


def test_las_cuentas_se_corrigen_por_diferencias():
    filtros, avances, personas = IMUG.filtros(), {}, Cuenta()
    s1 = sesion("Protocolo Alba y Alerta Amber", horas=3, asistentes=("a", "b"))
    s2 = sesion("Protocolo Alba y Alerta Amber", horas=2, asistentes=("b", "c"))
    for s in (s1, s2):
        cambio_de_sesion(filtros, VIGENCIA, None, s, avances, personas)
    alba = next(f for f, filtro in filtros.items() if filtro.get("temas") == ["protocolo alba"])
    assert (avances[alba].sesiones, avances[alba].horas, avances[alba].personas) == (2, 5, 3)
    cambio_de_sesion(filtros, VIGENCIA, s2, None, avances, personas)  # se cancela la segunda: «b» sigue en la primera
    assert (avances[alba].sesiones, avances[alba].horas, avances[alba].personas) == (1, 3, 2)


def test_un_segundo_programa_definido_solo_con_datos():
    temas = ["Implementación del Modelo de Prevención, Atención y Acompañamiento Integral",
             "Órdenes de protección administrativas", "¿Qué es un proceso de Alerta de Violencia de Género?",
             "Protocolo Alba y Alerta Amber"]
    completas = situacion(IMUG, [PENDIENTE], [sesion(t, horas=2.5) for t in temas])
    assert IMUG.otorgante == "imug" and IMUG.vigencia_meses == 24
    # Sus objetivos de convenio no cuentan: cuatro temas (tres de los opcionales) y 10 horas en 2025.
    assert evaluar(IMUG, completas)[0] is True
    # Con sólo dos temas opcionales no alcanza el mínimo del grupo "alguno".
    dos_opcionales = situacion(IMUG, [], [sesion(t, horas=5) for t in temas[:3]])
    assert not evaluar(IMUG, dos_opcionales)[0]
    assert "Protocolo Alba y Alerta Amber" in faltantes(IMUG, dos_opcionales)
    # Horas fuera de 2025 no cuentan.
    en_2026 = situacion(IMUG, [], [sesion(t, fecha=date(2026, 1, 15), horas=3) for t in temas])
    assert "10 horas durante 2025" in faltantes(IMUG, en_2026)


def test_un_archivo_de_reglas_mal_escrito_dice_donde(tmp_path):
    malo = tmp_path / "v1.toml"
    malo.write_text('programa = "X"\nversion = 1\nnombre = "X"\notorgante = "x"\n'
                    '[requisito]\ntodos = [{ sesiones = {}, minimo = 1 }, { medallas = 3 }]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"requisito.todos\[1\].*medallas"):
        leer(malo)
