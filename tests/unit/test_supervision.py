"""El supervisor sin broker: la espera entre reinicios, el estado anotado, la parada ordenada de un hijo y lo que
cada proceso (los servicios y la consola) recibe para encontrar a los demás."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from alva.consola.config import AjustesConsola
from alva.supervision import control, procesos
from alva.supervision.hijo import ESPERA_MAX_S, Hijo, siguiente_espera
from alva.supervision.registro import Rutas, escribir_deseados, escribir_json, leer_deseados, leer_json, rotar
from alva.supervision.supervisor import Supervisor
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
    escribir_deseados(rutas, {"consola": 18080, "notificaciones": 18084, "convenios": 28081, "penjamo": 1})

    assert leer_json(rutas.estado) == {"supervisor": {"pid": 1}}
    assert list(leer_deseados(rutas).items()) == [("convenios", 28081), ("notificaciones", 18084),
                                                  ("consola", 18080)]  # en su orden, la consola al final
    assert [p.name for p in rutas.estado.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_cada_servicio_tiene_su_puerto_fijo_y_alva_puertos_operacion_lo_mueve(monkeypatch):
    monkeypatch.setenv("ALVA_PUERTOS_OPERACION", json.dumps({"convenios": 28081}))
    puertos = puertos_propios(Ajustes())
    assert puertos == {**PUERTOS, "convenios": 28081}
    assert PUERTOS == {"convenios": 18081, "capacitacion": 18082, "distintivos": 18083, "notificaciones": 18084}


@pytest.fixture
def sin_ajustes_propios(monkeypatch):
    """Lo que diga el entorno de quien corre las pruebas no cuenta: puertos y direcciones de siempre."""
    for variable in [v for v in os.environ if v.startswith("ALVA_") and v != "ALVA_DATOS"]:
        monkeypatch.delenv(variable)
    return monkeypatch


def test_la_consola_es_un_proceso_mas_con_su_modulo_y_su_puerto(sin_ajustes_propios):
    assert procesos.SUPERVISADOS == ("convenios", "capacitacion", "distintivos", "notificaciones", "consola")
    assert procesos.modulo("consola") == "alva.consola" and procesos.modulo("convenios") == "servicios.convenios"
    assert procesos.puertos(AjustesConsola())["consola"] == 18080
    sin_ajustes_propios.setenv("ALVA_PUERTO_CONSOLA", "28180")
    sin_ajustes_propios.setenv("ALVA_HOST_CONSOLA", "0.0.0.0")
    ajustes = AjustesConsola()
    assert procesos.puertos(ajustes) == {**PUERTOS, "consola": 28180}
    assert procesos.url("consola", 28180, ajustes) == "http://127.0.0.1:28180"  # visto desde este equipo


def test_la_consola_pregunta_la_salud_en_los_puertos_que_de_verdad_usan_los_servicios(sin_ajustes_propios):
    # Los servicios corren donde dijo ALVA_PUERTOS_OPERACION al arrancarlos (deseados.json), no en 18081–18084.
    deseados = {"convenios": 28181, "capacitacion": 28182, "distintivos": 28183, "notificaciones": 28184,
                "consola": 28180}
    ajustes = AjustesConsola()
    consola = procesos.entorno("consola", deseados, ajustes)
    assert json.loads(consola["ALVA_SALUD_SERVICIOS"]) == {
        s: f"http://127.0.0.1:{p}/salud/listo" for s, p in deseados.items() if s != "consola"}
    # Las credenciales que firme distintivos nombran esta consola, y ella verifica contra la misma base.
    assert procesos.entorno("distintivos", deseados, ajustes)["ALVA_URL_PUBLICA"] == "http://127.0.0.1:28180"
    assert consola["ALVA_URL_PUBLICA"] == "http://127.0.0.1:28180"
    assert "ALVA_SALUD_SERVICIOS" not in procesos.entorno("convenios", deseados, ajustes)


def test_una_url_publica_dada_no_se_toca(sin_ajustes_propios):
    sin_ajustes_propios.setenv("ALVA_URL_PUBLICA", "https://alva.prodheg.example")
    assert "ALVA_URL_PUBLICA" not in procesos.entorno("distintivos", {"distintivos": 18083}, AjustesConsola())


def test_la_consola_sola_sigue_a_alva_puertos_operacion(sin_ajustes_propios):
    sin_ajustes_propios.setenv("ALVA_PUERTOS_OPERACION", json.dumps({"distintivos": 28183}))
    salud = AjustesConsola().salud_servicios
    assert salud["distintivos"] == "http://127.0.0.1:28183/salud/listo"
    assert salud["convenios"] == "http://127.0.0.1:18081/salud/listo"


def test_el_supervisor_da_a_la_consola_los_puertos_de_los_servicios(sin_ajustes_propios, tmp_path):
    rutas = Rutas(tmp_path)
    escribir_deseados(rutas, {"convenios": 28181, "consola": 28180})
    supervisor = Supervisor(rutas)
    supervisor.reconciliar()

    consola = supervisor.hijos["consola"]
    assert (consola.puerto, consola.bitacora) == (28180, tmp_path / "bitacoras" / "consola.log")
    assert json.loads(consola.entorno["ALVA_SALUD_SERVICIOS"])["convenios"] == "http://127.0.0.1:28181/salud/listo"
    assert supervisor.hijos["convenios"].entorno["ALVA_URL_PUBLICA"] == "http://127.0.0.1:28180"


def test_la_consola_recibe_su_puerto_por_alva_puerto_consola(tmp_path):
    eco = [sys.executable, "-c", "import os; print('puerto', os.environ['ALVA_PUERTO_CONSOLA'], flush=True)"]
    hijo = Hijo("consola", 28180, tmp_path / "consola.log", orden=eco, entorno={"ALVA_SALUD_SERVICIOS": "{}"})
    _pasos_hasta(hijo, lambda: hijo.ultimo_codigo is not None)
    assert hijo.ultimo_codigo == 0 and "puerto 28180" in (tmp_path / "consola.log").read_text()


def test_un_puerto_de_consola_ocupado_o_libre_al_azar_se_rechaza_nombrando_la_variable(sin_ajustes_propios):
    with socket.create_server(("127.0.0.1", 0)) as ocupado:
        puerto = ocupado.getsockname()[1]
        with pytest.raises(control.ErrorServicios, match=f"127.0.0.1:{puerto}.*ALVA_PUERTO_CONSOLA={puerto + 10}"):
            control._exigir_puertos_libres(["consola"], {"consola": puerto}, AjustesConsola())
    with pytest.raises(control.ErrorServicios, match="puerto fijo.*ALVA_PUERTO_CONSOLA"):
        control._exigir_puertos_libres(["consola"], {"consola": 0}, AjustesConsola())


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
    assert "penjamo" in r.stderr and "convenios, capacitacion, distintivos, notificaciones, consola" in r.stderr
    assert not (tmp_path / "servicios").exists()
    assert _alva(tmp_path, "bitacora", "penjamo").returncode == 2
    r = _alva(tmp_path, "bitacora", "consola")  # la consola sí tiene bitácora; ésta aún no existe
    assert r.returncode == 1 and "Aún no hay bitácora de consola" in r.stderr


def test_sin_supervisor_el_estado_dice_detenido_y_sale_con_1(tmp_path):
    r = _alva(tmp_path, "estado", "--json")
    informe = json.loads(r.stdout)
    assert r.returncode == 1
    assert not informe["supervisor"]["vivo"] and not informe["listos"]
    assert {f["situacion"] for f in informe["servicios"]} == {"detenido"}
    consola = next(f for f in informe["servicios"] if f["servicio"] == "consola")
    assert consola["url"] == f"http://127.0.0.1:{consola['puerto']}/"


def test_una_bitacora_que_pasa_del_maximo_se_rota_y_quien_la_escribe_sigue_en_ella(tmp_path):
    ruta = tmp_path / "convenios.log"
    with open(ruta, "ab", buffering=0) as escritor:  # como la abre el supervisor para el proceso hijo
        escritor.write(b"a" * 100)
        assert not rotar(ruta, 100, copias=2)  # no pasa del máximo
        escritor.write(b"b")
        assert rotar(ruta, 100, copias=2)
        assert (ruta.read_bytes(), (tmp_path / "convenios.log.1").read_bytes()) == (b"", b"a" * 100 + b"b")
        escritor.write(b"c" * 101)  # sigue escribiendo sin reabrir: desde el principio del archivo vaciado
        assert ruta.read_bytes() == b"c" * 101
        assert rotar(ruta, 100, copias=2)
        escritor.write(b"d" * 101)
        assert rotar(ruta, 100, copias=2)  # tercera: la más vieja sale (sólo 2 copias)
    assert [p.name for p in sorted(tmp_path.iterdir())] == ["convenios.log", "convenios.log.1", "convenios.log.2"]
    assert (tmp_path / "convenios.log.1").read_bytes() == b"d" * 101
    assert (tmp_path / "convenios.log.2").read_bytes() == b"c" * 101
    assert not rotar(tmp_path / "no-existe.log", 100, copias=2)


def _supervisor_con_bitacoras_chicas(entorno, tmp_path) -> tuple[Supervisor, Rutas]:
    """Un supervisor de convenios cuyas bitácoras se rotan al pasar de unos 105 bytes, con una copia."""
    entorno.setenv("ALVA_BITACORA_MB", "0.0001")
    entorno.setenv("ALVA_BITACORA_COPIAS", "1")
    rutas = Rutas(tmp_path)
    escribir_deseados(rutas, {"convenios": 28181})
    supervisor = Supervisor(rutas)
    supervisor.reconciliar()
    rutas.bitacoras.mkdir(parents=True)
    return supervisor, rutas


def test_el_supervisor_rota_la_bitacora_de_cada_hijo_y_la_suya(sin_ajustes_propios, tmp_path):
    supervisor, rutas = _supervisor_con_bitacoras_chicas(sin_ajustes_propios, tmp_path)
    for nombre in ("convenios", "supervisor"):
        rutas.bitacora(nombre).write_bytes(b"x" * 200)
    rutas.bitacora("distintivos").write_bytes(b"x" * 200)  # no es de un proceso supervisado: no se toca
    supervisor.rotar_bitacoras()
    for nombre in ("convenios", "supervisor"):
        assert rutas.bitacora(nombre).read_bytes() == b""
        assert rutas.bitacoras.joinpath(f"{nombre}.log.1").read_bytes() == b"x" * 200
    assert rutas.bitacora("distintivos").stat().st_size == 200


def test_un_tamano_de_bitacora_invalido_se_rechaza_nombrando_la_variable(sin_ajustes_propios, tmp_path):
    sin_ajustes_propios.setenv("ALVA_BITACORA_MB", "0")
    with pytest.raises(ValueError, match="bitacora_mb"):
        Supervisor(Rutas(tmp_path))


def test_alva_servicios_arrancar_rechaza_un_tamano_de_bitacora_invalido_antes_de_lanzar_nada(sin_ajustes_propios,
                                                                                             tmp_path):
    sin_ajustes_propios.setenv("ALVA_BITACORA_COPIAS", "cero")
    with pytest.raises(control.ErrorServicios, match="ALVA_BITACORA_COPIAS='cero'"):
        control._lanzar_supervisor(Rutas(tmp_path))  # noqa: SLF001
    assert not (tmp_path / "bitacoras").exists()


def test_una_bitacora_que_no_se_puede_rotar_no_detiene_al_supervisor(sin_ajustes_propios, tmp_path, capsys):
    supervisor, rutas = _supervisor_con_bitacoras_chicas(sin_ajustes_propios, tmp_path)
    rutas.bitacora("convenios").write_bytes(b"x" * 200)
    (rutas.bitacoras / "convenios.log.1").mkdir()  # donde iría la copia hay una carpeta: la copia falla
    rutas.bitacora("supervisor").write_bytes(b"y" * 200)
    supervisor.rotar_bitacoras()
    assert "no se pudo rotar convenios.log" in capsys.readouterr().out
    assert rutas.bitacora("convenios").stat().st_size == 200  # intacta
    assert rutas.bitacora("supervisor").read_bytes() == b""  # las demás, rotadas
