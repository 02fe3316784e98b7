"""La elección del Python del entorno virtual: sólo uno que sirve, y de dos el que midió menos."""

import os
import stat
import sys

import pytest

from infra import interprete

pytestmark = pytest.mark.unit


def _falso(carpeta, nombre: str, salida: str, codigo: int = 0) -> str:
    """Un "python" que contesta la prueba con lo que se le diga (un tiempo, su ruta y su versión)."""
    ruta = carpeta / nombre
    ruta.write_text(f"#!/bin/sh\necho '{salida}'\nexit {codigo}\n")
    ruta.chmod(ruta.stat().st_mode | stat.S_IEXEC)
    return str(ruta)


def test_el_python_que_corre_las_pruebas_sirve_y_se_mide():
    segundos, ruta, version = interprete.medir(sys.executable)
    assert segundos > 0 and os.path.realpath(ruta) == os.path.realpath(sys.executable)
    assert tuple(int(p) for p in version.split(".")[:2]) >= (3, 11)


def test_lo_que_no_es_un_python_que_sirve_no_se_elige(tmp_path):
    # Uno que falla la prueba (p. ej. sin ensurepip, o un 3.10), uno que no existe y uno bueno.
    malo = _falso(tmp_path, "python-viejo", "", codigo=3)
    bueno = _falso(tmp_path, "python-bueno", f"0.05 {tmp_path}/python-bueno 3.11.9")
    assert interprete.medir(malo) is None
    assert interprete.elegir((malo, str(tmp_path / "no-existe"), bueno), rondas=1) == f"{tmp_path}/python-bueno"


def test_de_dos_que_sirven_gana_el_mas_rapido_y_se_dice_lo_medido(tmp_path):
    lento = _falso(tmp_path, "python-lento", f"0.09 {tmp_path}/python-lento 3.11.7")
    rapido = _falso(tmp_path, "python-rapido", f"0.03 {tmp_path}/python-rapido 3.11.2")
    dicho = []
    assert interprete.elegir((lento, rapido), detalle=dicho.append, rondas=2) == f"{tmp_path}/python-rapido"
    assert dicho == [f"python    {tmp_path}/python-rapido (Python 3.11.2): 30 ms",
                     f"python    {tmp_path}/python-lento (Python 3.11.7): 90 ms"]


def test_sin_ninguno_que_sirva_queda_python3(tmp_path):
    assert interprete.elegir((str(tmp_path / "nada"),)) == "python3"
