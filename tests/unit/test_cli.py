"""`alva` sin broker: lo que se decide antes de tocar la red (validación, esquemas, errores de conexión)."""

import json
import os
import socket
import subprocess
import sys

import jsonschema
import pytest

from alva.cli.comun import instante
from alva.cli.emitir import ReporteInvalido, construir, leer_reportes, tipo_completo
from esquemas.catalogo import TIPOS
from esquemas.ejemplos import ejemplos

pytestmark = pytest.mark.unit


def puerto_cerrado() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alva(*argumentos: str, entrada: str | None = None) -> subprocess.CompletedProcess:
    entorno = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{puerto_cerrado()}",
               "ALVA_POSTGRES_DSN": f"postgresql://alva@127.0.0.1:{puerto_cerrado()}/alva"}
    return subprocess.run([sys.executable, "-m", "alva", *argumentos], env=entorno, input=entrada,
                          capture_output=True, text=True, timeout=60)


def test_cada_ejemplo_de_reporte_pasa_la_validacion_de_emitir():
    for tipo, evento in ejemplos().items():
        assert construir(tipo, evento.institucion, evento.data).type == tipo


@pytest.mark.parametrize("cambio, campo", [
    ({"asistentes": []}, "data.asistentes"),
    ({"modalidad": "hibrida"}, "data.modalidad"),
    ({"horas": "dos"}, "data.horas"),
    ({"fecha": "ayer"}, "data.fecha"),
])
def test_un_reporte_invalido_nombra_el_campo(cambio, campo):
    datos = {**ejemplos()["mx.alva.ingreso.sesion.completada.v1"].data, **cambio}
    with pytest.raises(ReporteInvalido) as e:
        construir("sesion.completada", "imss-guanajuato", datos)
    assert e.value.campo == campo and campo in e.value.motivo


def test_lo_que_el_esquema_no_expresa_lo_revisa_el_modelo():
    datos = {**ejemplos()["mx.alva.ingreso.evidencia.revisada.v1"].data, "dictamen": "rechazada"}
    datos.pop("motivo", None)
    with pytest.raises(ReporteInvalido, match="motivo"):
        construir("evidencia.revisada", "prodheg", datos)


def test_tipos_cortos_y_completos_y_solo_reportes():
    assert tipo_completo("sesion.completada") == "mx.alva.ingreso.sesion.completada.v1"
    assert tipo_completo("mx.alva.ingreso.convenio.firmado.v1") == "mx.alva.ingreso.convenio.firmado.v1"
    with pytest.raises(ReporteInvalido, match="no es un reporte"):
        tipo_completo("mx.alva.distintivos.distintivo.otorgado.v1")  # un hecho: sólo lo publica su servicio


def test_un_cloudevent_completo_conserva_su_id_e_institucion(tmp_path):
    ejemplo = ejemplos()["mx.alva.ingreso.sesion.completada.v1"]
    archivo = tmp_path / "reporte.json"
    archivo.write_text(ejemplo.model_dump_json(), encoding="utf-8")
    [evento] = leer_reportes(archivo, None, None, [])
    assert evento.id == ejemplo.id and evento.institucion == ejemplo.institucion


def test_una_institucion_invalida_se_rechaza_antes_de_enviar():
    with pytest.raises(ReporteInvalido) as e:
        construir("sesion.completada", "IMSS Guanajuato", ejemplos()["mx.alva.ingreso.sesion.completada.v1"].data)
    assert e.value.campo == "institucion"


def test_instantes_absolutos_y_relativos():
    assert instante("2026-11-23T10:00").hour == 10
    assert (instante("2h") < instante("1h"))
    assert instante(None) is None


def test_emitir_invalido_sale_con_2_sin_tocar_kafka():
    r = alva("emitir", "sesion.completada", "-i", "penjamo", "-d", "sesion_id=S-1", "-d", "asistentes=[]")
    assert r.returncode == 2
    assert "no se envió" in r.stderr and "falta el campo obligatorio data.convenio_id" in r.stderr


def test_sin_kafka_el_codigo_es_4_y_dice_que_revisar():
    ejemplo = ejemplos()["mx.alva.ingreso.sesion.completada.v1"]
    r = alva("emitir", "sesion.completada", "-i", ejemplo.institucion, "-a", "-", entrada=json.dumps(ejemplo.data))
    assert r.returncode == 4
    assert "KAFKA_BOOTSTRAP_SERVERS" in r.stderr


def test_esquemas_escribe_esquemas_y_ejemplos_que_se_validan(tmp_path):
    r = alva("esquemas", "--carpeta", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    assert {f["type"] for f in json.loads(r.stdout)} == set(TIPOS)
    for archivo in (tmp_path / "ejemplos").glob("*.json"):
        ejemplo = json.loads(archivo.read_text(encoding="utf-8"))
        esquema = json.loads((tmp_path / f"{ejemplo['type']}.json").read_text(encoding="utf-8"))
        jsonschema.validate(ejemplo["data"], esquema)


def test_ayuda_en_cada_comando():
    for comando in (["emitir"], ["observar"], ["estado"], ["dlq", "reenviar"], ["grupos"], ["evidencia", "aprobar"],
                    ["distintivo", "revocar"], ["entregas"], ["rechazos"], ["alta"], ["esquemas"]):
        r = alva(*comando, "--help")
        assert r.returncode == 0 and "Usage" in r.stdout, comando
