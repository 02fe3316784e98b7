"""`alva servicios` como lo usa quien opera: el supervisor arranca los cuatro servicios reales y la consola, revive
al que muere de un SIGKILL y los detiene sin dejar procesos."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pytest

from alva import escenario
from alva.cli.comun import topicos_alva
from alva.supervision.procesos import CONSOLA, SERVICIOS, SUPERVISADOS, modulo
from alva.supervision.registro import MARCA_SUPERVISOR, vive
from esquemas.ingreso import topico_ingreso
from tests.conftest import unico

pytestmark = pytest.mark.integration


def _puertos_libres(desde: int = 28085, cuantos: int = 5) -> list[int]:
    """Puertos de operación propios de esta prueba: los servicios de la sesión usan otros (libres, elegidos al azar)."""
    libres = []
    for puerto in range(desde, desde + 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", puerto))
            except OSError:
                continue
        libres.append(puerto)
        if len(libres) == cuantos:
            return libres
    raise RuntimeError(f"no hay {cuantos} puertos libres desde {desde}")


@pytest.fixture
def entorno(infra, buzon, tmp_path):
    """Los ajustes de quien opera: la infraestructura de la sesión, el buzón de la sesión, otra carpeta para el
    supervisor y otros puertos de operación y de consola. Al final, pase lo que pase, `detener`."""
    *libres, consola = _puertos_libres()
    puertos = dict(zip(SERVICIOS, libres, strict=True))
    variables = {**os.environ, "ALVA_SERVICIOS_CARPETA": str(tmp_path), "ALVA_PUERTOS_OPERACION": json.dumps(puertos),
                 "ALVA_PUERTO_CONSOLA": str(consola), "ALVA_SMTP_HOST": "127.0.0.1",
                 "ALVA_SMTP_PUERTO": str(buzon.puerto)}
    for propia in ("ALVA_PUERTO_OPERACION", "ALVA_HOST_CONSOLA", "ALVA_URL_PUBLICA", "ALVA_SALUD_SERVICIOS"):
        variables.pop(propia, None)
    if infra.origen != "embebido":
        variables |= {"KAFKA_BOOTSTRAP_SERVERS": infra.kafka, "ALVA_POSTGRES_DSN": infra.postgres_dsn}
    yield variables
    subprocess.run([sys.executable, "-m", "alva", "servicios", "detener"], env=variables, timeout=120, check=False)


async def alva(variables: dict, *argumentos: str) -> tuple[int, str, str]:
    proceso = await asyncio.create_subprocess_exec(sys.executable, "-m", "alva", *argumentos, env=variables,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    salida, errores = await asyncio.wait_for(proceso.communicate(), 180)
    return proceso.returncode, salida.decode(), errores.decode()


async def estado(variables: dict) -> tuple[int, dict]:
    codigo, salida, errores = await alva(variables, "servicios", "estado", "--json")
    assert salida, errores
    return codigo, json.loads(salida)


def por_servicio(informe: dict) -> dict[str, dict]:
    return {f["servicio"]: f for f in informe["servicios"]}


def entorno_de(pid: int) -> dict[str, str]:
    """Con qué variables corre un proceso (las que le dio el supervisor)."""
    crudo = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(v.partition("=")[::2] for v in crudo.split("\0") if v)


async def esperar_estado(variables: dict, condicion, plazo_s: float = 90) -> dict:
    limite = time.monotonic() + plazo_s
    while True:
        _, informe = await estado(variables)
        if condicion(por_servicio(informe)):
            return informe
        assert time.monotonic() < limite, f"no se cumplió en {plazo_s:g} s: {informe}"
        await asyncio.sleep(0.5)


async def test_arrancar_revivir_tras_sigkill_y_detener_sin_dejar_procesos(entorno, infra, tmp_path):
    # Quien opera arranca los cuatro y la consola: quedan listos, cada uno en su puerto, y el ingreso del otorgante
    # ya existe.
    codigo, salida, errores = await alva(entorno, "servicios", "arrancar", "--json")
    assert codigo == 0, errores
    arrancados = por_servicio(json.loads(salida))
    puertos = {**json.loads(entorno["ALVA_PUERTOS_OPERACION"]), CONSOLA: int(entorno["ALVA_PUERTO_CONSOLA"])}
    assert {n: f["puerto"] for n, f in arrancados.items()} == puertos
    assert all(f["listo"] and f["reinicios"] == 0 for f in arrancados.values())
    assert topico_ingreso(escenario.OTORGANTE) in await topicos_alva(infra.opciones())
    assert (tmp_path / "servicios" / "estado.json").exists()
    # Su bitácora, en texto plano: las líneas de FastStream (la última llega tras el listo) sin colores ANSI.
    bitacora, limite = b"", time.monotonic() + 30
    while b"FastStream app started successfully" not in bitacora:
        assert time.monotonic() < limite, bitacora.decode(errors="replace")[-2000:]
        await asyncio.sleep(0.2)
        bitacora = (tmp_path / "bitacoras" / "convenios.log").read_bytes()
    assert b"\x1b[" not in bitacora

    # La consola responde en su puerto y sabe dónde están los servicios de esta prueba; las credenciales que firme
    # distintivos la nombran a ella.
    consola = arrancados[CONSOLA]
    assert consola["url"] == f"http://127.0.0.1:{puertos[CONSOLA]}/"
    async with httpx.AsyncClient(trust_env=False, timeout=10) as cliente:
        listo = await cliente.get(f"{consola['url']}salud/listo")
    assert listo.status_code == 200 and listo.json()["servicio"] == "consola"
    salud = json.loads(entorno_de(consola["pid"])["ALVA_SALUD_SERVICIOS"])
    assert salud == {n: f"http://127.0.0.1:{p}/salud/listo" for n, p in puertos.items() if n != CONSOLA}
    assert entorno_de(arrancados["distintivos"]["pid"])["ALVA_URL_PUBLICA"] == consola["url"].rstrip("/")
    codigo, salida, _ = await alva(entorno, "servicios", "estado")
    assert codigo == 0 and f"consola   {consola['url']}" in salida

    # Arrancar otra vez no levanta otro juego: los mismos pids.
    codigo, salida, _ = await alva(entorno, "servicios", "arrancar", "--json")
    assert codigo == 0
    assert {n: f["pid"] for n, f in por_servicio(json.loads(salida)).items()} == \
           {n: f["pid"] for n, f in arrancados.items()}

    # convenios muere de un SIGKILL: el supervisor lo revive, con otro pid, y vuelve a estar listo.
    caido = arrancados["convenios"]["pid"]
    os.kill(caido, signal.SIGKILL)
    informe = await esperar_estado(entorno, lambda s: s["convenios"]["reinicios"] == 1 and s["convenios"]["listo"])
    revivido = por_servicio(informe)["convenios"]
    assert revivido["pid"] != caido and revivido["ultimo_codigo"] == -signal.SIGKILL
    assert all(f["reinicios"] == 0 for n, f in por_servicio(informe).items() if n != "convenios")

    # La consola también: SIGKILL, y vuelve con otro pid, lista.
    os.kill(consola["pid"], signal.SIGKILL)
    informe = await esperar_estado(entorno, lambda s: s[CONSOLA]["reinicios"] == 1 and s[CONSOLA]["listo"])
    revivida = por_servicio(informe)[CONSOLA]
    assert revivida["pid"] != consola["pid"] and revivida["ultimo_codigo"] == -signal.SIGKILL

    # Un convenio que PRODHEG firma por su ingreso se acepta: los servicios siguen trabajando.
    convenio = escenario.convenio(unico("servicios"), date.today()).evento
    archivo = tmp_path / "convenio.json"
    archivo.write_text(json.dumps(convenio.data), encoding="utf-8")
    codigo, salida, errores = await alva(entorno, "emitir", "convenio.firmado", "-i", escenario.OTORGANTE,
                                         "-a", str(archivo), "--esperar")
    assert codigo == 0, salida + errores

    # Detener: ningún proceso queda, y `estado` lo dice (código 1: nada listo).
    supervisor = informe["supervisor"]["pid"]
    codigo, salida, errores = await alva(entorno, "servicios", "detener", "--json")
    assert codigo == 0, errores
    detenidos = json.loads(salida)["detenidos"]
    assert {n: d["ultimo_codigo"] for n, d in detenidos.items()} == dict.fromkeys(SUPERVISADOS, 0)  # en orden
    pids = [(f["pid"], modulo(n)) for n, f in arrancados.items()] + [(revivido["pid"], "servicios.convenios"),
                                                                       (revivida["pid"], "alva.consola")]
    assert not [p for p, marca in [*pids, (supervisor, MARCA_SUPERVISOR)] if vive(p, marca)]
    codigo, despues = await estado(entorno)
    assert codigo == 1
    assert not despues["supervisor"]["vivo"]
    assert {f["situacion"] for f in despues["servicios"]} == {"detenido"}
    assert not (tmp_path / "servicios" / "estado.json").exists()
