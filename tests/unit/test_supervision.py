"""El supervisor sin broker: la espera entre reinicios, el estado anotado y la parada ordenada de un hijo."""

import json
import os
import subprocess
import sys
import time

import pytest

from alva.supervision.hijo import ESPERA_MAX_S, Hijo, siguiente_espera
from alva.supervision.registro import Rutas, escribir_deseados, escribir_json, leer_deseados, leer_json
from plataforma.config import Ajustes
from plataforma.operacion import PUERTOS, puertos_propios

pytestmark = pytest.mark.unit


def test_la_espera_se_dobla_en_cada_caida_seguida_hasta_un_minuto_y_vuelve_a_uno_tras_estar_en_marcha():
    esperas, anterior = [], None
    for _ in range(9):
        anterior = siguiente_espera(anterior, vivio_s=0.5)
        esperas.append(anterior)
    assert esperas == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert siguiente_espera(ESPERA_MAX_S, vivio_s=61) == 1


def test_el_estado_se_escribe_entero_y_los_deseados_solo_con_servicios_conocidos(tmp_path):
    rutas = Rutas(tmp_path)
    escribir_json(rutas.estado, {"supervisor": {"pid": 1}})
    escribir_deseados(rutas, {"notificaciones": 18084, "convenios": 28081, "penjamo": 1})

    assert leer_json(rutas.estado) == {"supervisor": {"pid": 1}}
    assert list(leer_deseados(rutas).items()) == [("convenios", 28081), ("notificaciones", 18084)]  # en su orden
    assert [p.name for p in rutas.estado.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_cada_servicio_tiene_su_puerto_fijo_y_alva_puertos_operacion_lo_mueve(monkeypatch):
    monkeypatch.setenv("ALVA_PUERTOS_OPERACION", json.dumps({"convenios": 28081}))
    puertos = puertos_propios(Ajustes())
    assert puertos == {**PUERTOS, "convenios": 28081}
    assert PUERTOS == {"convenios": 18081, "capacitacion": 18082, "distintivos": 18083, "notificaciones": 18084}


def _pasos_hasta(hijo: Hijo, condicion, plazo_s: float = 10) -> None:
    """Lo que hace el bucle del supervisor con un hijo, hasta que se cumpla la condición."""
    limite = time.monotonic() + plazo_s
    hijo.paso(time.monotonic())
    while not condicion():
        assert time.monotonic() < limite, "no se cumplió a tiempo"
        time.sleep(0.05)
        hijo.paso(time.monotonic())


def test_un_hijo_que_se_cae_se_reinicia_con_espera_y_queda_anotado(tmp_path):
    # Un "servicio" que termina en seguida con código 3: el supervisor lo reinicia, primero a 1 s, luego a 2 s.
    hijo = Hijo("convenios", 28081, tmp_path / "convenios.log", orden=[sys.executable, "-c", "raise SystemExit(3)"])
    _pasos_hasta(hijo, lambda: hijo.reinicios == 1)

    assert (hijo.reinicios, hijo.ultimo_codigo, hijo.espera_s) == (1, 3, 1.0)
    assert hijo.situacion(time.monotonic()).startswith("reinicia en")
    _pasos_hasta(hijo, lambda: hijo.reinicios == 2)
    assert hijo.espera_s == 2.0
    bitacora = (tmp_path / "convenios.log").read_text()
    assert "terminó sin que se le pidiera (código 3); se reinicia en 1 s" in bitacora


def test_un_hijo_que_no_se_desea_recibe_sigterm_y_no_se_reinicia(tmp_path):
    dormilon = [sys.executable, "-c", "import time; time.sleep(60)"]
    hijo = Hijo("capacitacion", 28082, tmp_path / "capacitacion.log", orden=dormilon)
    hijo.paso(time.monotonic())
    assert hijo.como_dict(time.monotonic())["situacion"] == "corriendo"

    hijo.deseado = False
    _pasos_hasta(hijo, lambda: hijo.proceso is None)
    assert (hijo.reinicios, hijo.ultimo_codigo) == (0, -15)  # SIGTERM, pedido: no cuenta como caída
    assert hijo.situacion(time.monotonic()) == "detenido"


def _alva(tmp_path, *argumentos: str) -> subprocess.CompletedProcess:
    entorno = {**os.environ, "ALVA_SERVICIOS_CARPETA": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "alva", "servicios", *argumentos], env=entorno,
                          capture_output=True, text=True, timeout=60)


def test_un_nombre_que_no_es_servicio_se_rechaza_antes_de_arrancar_nada(tmp_path):
    r = _alva(tmp_path, "arrancar", "convenios", "penjamo")
    assert r.returncode == 2
    assert "penjamo" in r.stderr and "convenios, capacitacion, distintivos, notificaciones" in r.stderr
    assert not (tmp_path / "servicios").exists()
    assert _alva(tmp_path, "bitacora", "penjamo").returncode == 2


def test_sin_supervisor_el_estado_dice_detenido_y_sale_con_1(tmp_path):
    r = _alva(tmp_path, "estado", "--json")
    informe = json.loads(r.stdout)
    assert r.returncode == 1
    assert not informe["supervisor"]["vivo"] and not informe["listos"]
    assert {f["situacion"] for f in informe["servicios"]} == {"detenido"}
