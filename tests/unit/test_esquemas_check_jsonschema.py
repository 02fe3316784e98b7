"""Los esquemas exportados con una herramienta ajena (`check-jsonschema`, la CLI real), como lo haría el sistema de
una institución: cada ejemplo pasa; un reporte sin los atributos obligatorios de CloudEvents, no."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from esquemas.exportar import CARPETA, CARPETA_EJEMPLOS

pytestmark = pytest.mark.unit

CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
EJEMPLOS = sorted(CARPETA_EJEMPLOS.glob("*.json"))


def check_jsonschema(esquema: Path, *instancias: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHECK_JSONSCHEMA), "--schemafile", str(esquema), *map(str, instancias)],
                          capture_output=True, text=True, timeout=120)


def test_cada_ejemplo_pasa_con_el_sobre_y_con_su_esquema_completo():
    r = check_jsonschema(CARPETA / "cloudevent.json", *EJEMPLOS)
    assert r.returncode == 0, r.stdout + r.stderr
    for ejemplo in EJEMPLOS:
        r = check_jsonschema(CARPETA / f"{ejemplo.stem}.cloudevent.json", ejemplo)
        assert r.returncode == 0, f"{ejemplo.name}: {r.stdout}{r.stderr}"


@pytest.mark.parametrize("atributo", ["id", "specversion", "source", "type"])
def test_un_reporte_sin_un_atributo_obligatorio_no_pasa(tmp_path, atributo):
    ejemplo = json.loads((CARPETA_EJEMPLOS / "mx.alva.ingreso.sesion.completada.v1.json").read_text(encoding="utf-8"))
    del ejemplo[atributo]
    copia = tmp_path / f"sin-{atributo}.json"
    copia.write_text(json.dumps(ejemplo), encoding="utf-8")
    for esquema in ("cloudevent.json", "mx.alva.ingreso.sesion.completada.v1.cloudevent.json"):
        r = check_jsonschema(CARPETA / esquema, copia)
        assert r.returncode != 0 and f"'{atributo}' is a required property" in r.stdout, (esquema, r.stdout)


def test_otra_version_de_cloudevents_otro_tipo_o_una_extension_mal_nombrada_no_pasan(tmp_path):
    ejemplo = json.loads((CARPETA_EJEMPLOS / "mx.alva.ingreso.sesion.completada.v1.json").read_text(encoding="utf-8"))
    malos = {"version": {**ejemplo, "specversion": "0.3"},
             "tipo": {**ejemplo, "type": "mx.alva.ingreso.sesion.cancelada.v1"},
             "extension": {**ejemplo, "Region-Norte": "x"},
             "datos": {**ejemplo, "data": {**ejemplo["data"], "asistentes": []}}}
    for nombre, malo in malos.items():
        (tmp_path / f"{nombre}.json").write_text(json.dumps(malo), encoding="utf-8")
    completo = CARPETA / "mx.alva.ingreso.sesion.completada.v1.cloudevent.json"
    for nombre in malos:
        assert check_jsonschema(completo, tmp_path / f"{nombre}.json").returncode != 0, nombre
    assert check_jsonschema(CARPETA / "cloudevent.json", tmp_path / "version.json").returncode != 0
    assert check_jsonschema(CARPETA / "cloudevent.json", tmp_path / "extension.json").returncode != 0
