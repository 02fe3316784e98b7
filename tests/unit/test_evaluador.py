"""El evaluador en memoria: con reglas que no cuentan sesiones (las de ALVA), una sesión sólo se guarda; con reglas
que las cuentan (el ejemplo con tema y presencialidad), la misma sesión cambia la evaluación."""

import shutil
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from esquemas.capacitacion import SesionCompletada
from esquemas.comun import Institucion, Objetivo, Vigencia
from esquemas.convenios import ConvenioFirmado
from plataforma.contexto import Causa, Contexto
from servicios.distintivos import casos_de_uso
from servicios.distintivos.emision import Motor
from servicios.distintivos.reglas import CARPETA, cargar
from servicios.distintivos.repositorio import EnMemoriaDistintivos
from servicios.distintivos.suscriptores import reacciones

pytestmark = pytest.mark.unit

HOY = date(2026, 3, 2)
EJEMPLO = Path(casos_de_uso.__file__).parent / "ejemplos" / "ALVA-con-tema-y-presencialidad.toml"


def _ctx(repo, tipo: str) -> Contexto:
    marca = datetime(2026, 3, 2, 12, tzinfo=UTC)
    return Contexto(repo, "distintivos", Causa(str(uuid.uuid4()), tipo, "penjamo", None, marca), marca)


def _seguido(motor: Motor) -> EnMemoriaDistintivos:
    """Un convenio de Pénjamo con un objetivo aún sin cumplir, ya seguido por el evaluador."""
    repo = EnMemoriaDistintivos()
    firmado = ConvenioFirmado(
        convenio_id="C-penjamo", programa="ALVA", otorgante="prodheg",
        institucion=Institucion(id="penjamo", nombre="Municipio de Pénjamo", tipo="municipio"), firmantes=[],
        fecha_firma=HOY, vigencia=Vigencia(inicio=HOY, fin=HOY + timedelta(days=300)),
        objetivos=[Objetivo(objetivo_id="personas", descripcion="Capacitar a 2 personas",
                            indicador="personas_capacitadas", meta=2)])
    casos_de_uso.seguir_convenio(_ctx(repo, ConvenioFirmado.tipo), firmado, motor)
    return repo


def _sesion(repo, motor: Motor) -> Contexto:
    sesion = SesionCompletada(sesion_id="S-1", convenio_id="C-penjamo", institucion="penjamo",
                              tema="Prevención del acoso sexual laboral", modalidad="presencial", fecha=HOY, horas=2,
                              facilitador="IMUG", asistentes=["p-1", "p-2"])
    ctx = _ctx(repo, SesionCompletada.tipo)
    casos_de_uso.anotar_sesion(ctx, sesion, motor)
    return ctx


def test_con_reglas_que_no_cuentan_sesiones_una_sesion_solo_se_guarda():
    motor = Motor(cargar(), "https://alva.prodheg.example")
    assert not motor.cuenta_sesiones()
    repo = _seguido(motor)
    ctx = _sesion(repo, motor)
    assert ctx.salidas == []  # ni evaluación ni otorgamiento
    assert repo.sesion("C-penjamo", "S-1") is not None  # guardada, por si una versión nueva de las reglas la cuenta
    # Ni hace falta cargar a quienes asistieron.
    necesidades = reacciones(motor)[SesionCompletada.tipo].necesidades(_datos(), "penjamo")
    assert "asistencias" not in necesidades


def test_con_reglas_que_cuentan_sesiones_la_misma_sesion_cambia_la_evaluacion(tmp_path):
    shutil.copytree(CARPETA, tmp_path / "programas")
    shutil.copy(EJEMPLO, tmp_path / "programas" / "ALVA" / "v99.toml")
    motor = Motor(cargar(tmp_path / "programas"), "https://alva.prodheg.example")
    assert motor.cuenta_sesiones()
    repo = _seguido(motor)
    ctx = _sesion(repo, motor)
    assert [m.topico for m in ctx.salidas] == ["alva.distintivos"]  # su distintivo.evaluado
    necesidades = reacciones(motor)[SesionCompletada.tipo].necesidades(_datos(), "penjamo")
    assert necesidades["asistencias"] == {("C-penjamo", "p-1"), ("C-penjamo", "p-2")}


def _datos() -> SesionCompletada:
    return SesionCompletada(sesion_id="S-1", convenio_id="C-penjamo", institucion="penjamo", tema="acoso",
                            modalidad="presencial", fecha=HOY, horas=2, facilitador="IMUG", asistentes=["p-1", "p-2"])
