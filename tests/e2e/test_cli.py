"""`alva` como lo usa una persona: un subproceso contra el broker y la base reales, con los servicios en marcha."""

import asyncio
import json
import os
import shutil
import sys
import time
from datetime import date, timedelta

import pytest
from aiokafka import AIOKafkaConsumer

from alva import escenario
from alva.cli.comun import finales_de
from esquemas.distintivos import DistintivoOtorgado
from alva.observador import Observador
from esquemas.ingreso import topico_ingreso
from esquemas.notificaciones import NotificacionEnviada
from esquemas.rechazos import EntradaRechazada, topico_dlq
from esquemas.respuestas import topico_respuestas
from plataforma import topicos
from plataforma.kafka import carpeta_principales
from tests.conftest import unico
from tests.e2e.ayudas import de_tipo

pytestmark = pytest.mark.e2e


async def alva(infra, *argumentos: str, entrada: bytes | None = None) -> tuple[int, str, str]:
    """Corre `alva …` como lo haría alguien en su terminal; devuelve (código, salida, errores)."""
    entorno = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": infra.kafka, "ALVA_POSTGRES_DSN": infra.postgres_dsn}
    proceso = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "alva", *argumentos, env=entorno, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    salida, errores = await asyncio.wait_for(proceso.communicate(entrada), 120)
    return proceso.returncode, salida.decode(), errores.decode()


async def final_de(infra, topico: str) -> int:
    """Cuántos mensajes hay en el tópico (la suma de los finales de sus particiones)."""
    return sum((await finales_de(infra.opciones(), [topico])).values())


async def test_emitir_y_esperar_la_aceptacion_o_el_rechazo(infra, plataforma, tmp_path):
    corrida = unico("cli")
    convenio = escenario.convenio(corrida, date.today()).evento
    archivo = tmp_path / "convenio.json"
    archivo.write_text(json.dumps(convenio.data), encoding="utf-8")
    codigo, salida, errores = await alva(infra, "emitir", "convenio.firmado", "-i", escenario.OTORGANTE,
                                         "-a", str(archivo), "--esperar")
    assert codigo == 0, errores
    assert "aceptado" in salida and "convenios.convenio.firmado" in salida

    # Una sesión fuera de la vigencia: llega, y vuelve rechazada con su código y su motivo.
    sesion = escenario.sesiones(corrida, date.today())[0].evento.data
    fuera = {**sesion, "sesion_id": f"{corrida}-fuera", "fecha": str(date.today() + timedelta(days=400))}
    codigo, salida, _ = await alva(infra, "emitir", "sesion.completada", "-i", escenario.IMSS, "-a", "-", "--esperar",
                                   "--json", entrada=json.dumps(fuera).encode())
    assert codigo == 1
    desenlace = json.loads(salida)["desenlace"]
    assert not desenlace["aceptado"] and desenlace["evento"]["data"]["codigo"] == "fecha_fuera_de_vigencia"


async def test_un_reporte_invalido_no_sale_y_dice_que_campo(infra, plataforma):
    topico = topico_ingreso("penjamo")
    antes = await final_de(infra, topico)
    codigo, salida, errores = await alva(
        infra, "emitir", "sesion.completada", "-i", "penjamo", "-d", "sesion_id=S-1", "-d", "convenio_id=C-1",
        "-d", "tema=Igualdad", "-d", "modalidad=hibrida", "-d", "fecha=2026-11-20", "-d", "horas=2",
        "-d", "facilitador=Ana", "-d", 'asistentes=["p-1"]')
    assert codigo == 2
    assert "data.modalidad" in errores and "no se envió" in errores
    assert await final_de(infra, topico) == antes  # nada salió de la máquina


async def test_estado_a_medio_camino_y_la_cadena_hasta_el_correo(infra, plataforma, observador, tmp_path):
    corrida = unico("cli")
    convenio = escenario.convenio(corrida, date.today()).evento
    cid = convenio.data["convenio_id"]
    primera, *resto = [r.evento.data for r in escenario.sesiones(corrida, date.today())]
    (tmp_path / "convenio.json").write_text(json.dumps(convenio.data), encoding="utf-8")
    assert (await alva(infra, "emitir", "convenio.firmado", "-i", escenario.OTORGANTE,
                       "-a", str(tmp_path / "convenio.json"), "--esperar"))[0] == 0
    (tmp_path / "s1.json").write_text(json.dumps(primera), encoding="utf-8")
    assert (await alva(infra, "emitir", "sesion.completada", "-i", escenario.IMSS, "-a", str(tmp_path / "s1.json"),
                       "--esperar"))[0] == 0

    # A medio camino: 4 de 10 personas, 1 de 3 sesiones, y el evaluador dice qué falta.
    limite = time.monotonic() + 30
    while True:
        codigo, salida, errores = await alva(infra, "estado", escenario.IMSS, "--json")
        assert codigo == 0, errores
        [c] = [c for c in json.loads(salida)["convenios"] if c["convenio_id"] == cid]
        avance = {o["objetivo_id"]: o["valor"] for o in c["objetivos"]}
        if avance == {"capacitar-personal": 4, "sesiones-capacitacion": 1} and c["faltantes"]:
            break
        assert time.monotonic() < limite, c
        await asyncio.sleep(0.2)
    assert any("Capacitar a 10 personas" in f or "capacitar" in f.lower() for f in c["faltantes"])
    codigo, legible, _ = await alva(infra, "estado", escenario.IMSS)
    assert cid in legible and "4/10" in legible and "1/3" in legible

    # El resto en un solo archivo JSON Lines; luego la cadena: la sesión que cumplió el objetivo que otorgó el
    # distintivo que mandó el correo.
    (tmp_path / "resto.jsonl").write_text("\n".join(json.dumps(s) for s in resto), encoding="utf-8")
    codigo, salida, _ = await alva(infra, "emitir", "sesion.completada", "-i", escenario.IMSS,
                                   "-a", str(tmp_path / "resto.jsonl"), "--esperar")
    assert codigo == 0 and salida.count("aceptado") == 2
    otorgado = await observador.esperar(de_tipo(DistintivoOtorgado, convenio_id=cid), 60)
    enviada = await observador.esperar(de_tipo(NotificacionEnviada, evento_id=str(otorgado.id),
                                               destinatario=escenario.CORREO_IMSS), 60)
    codigo, salida, errores = await alva(infra, "observar", "--cadena", str(enviada.id), "--desde", "10m", "--json")
    assert codigo == 0, errores
    cadena = {e["id"]: e for e in map(json.loads, salida.splitlines())}
    linaje, actual = [], cadena[str(enviada.id)]
    while actual is not None:  # del correo hacia atrás, causa por causa
        linaje.append(actual["type"].split(".", 2)[2].rsplit(".", 1)[0])
        actual = cadena.get(actual.get("causationid"))
    assert linaje[0] == "notificaciones.notificacion.enviada" and linaje[1] == "distintivos.distintivo.otorgado"
    assert linaje[-2:] == ["capacitacion.sesion.completada", "ingreso.sesion.completada"]
    assert any(e["type"].endswith("objetivo.cumplido.v1") for e in cadena.values())  # el objetivo, en el árbol
    codigo, arbol, _ = await alva(infra, "observar", "--cadena", str(enviada.id), "--desde", "10m")
    [pedido] = [r for r in arbol.splitlines() if "▶" in r]
    assert codigo == 0 and "notificacion.enviada" in pedido and escenario.CORREO_IMSS in arbol


async def test_observar_filtra_por_institucion_tipo_y_correlacion(infra, plataforma):
    convenio = escenario.convenio(unico("obs"), date.today()).evento
    codigo, salida, errores = await alva(infra, "emitir", "convenio.firmado", "-i", escenario.OTORGANTE, "-a", "-",
                                         "--esperar", "--json", entrada=json.dumps(convenio.data).encode())
    assert codigo == 0, errores
    reporte_id = json.loads(salida)["id"]
    codigo, salida, errores = await alva(infra, "observar", "--desde", "10m", "--correlacion", reporte_id, "--tipo",
                                         "convenio.firmado", "-i", escenario.IMSS, "--json", "--max", "1",
                                         "--plazo", "30")
    assert codigo == 0, errores
    [visto] = [json.loads(l) for l in salida.splitlines()]
    assert visto["type"] == "mx.alva.convenios.convenio.firmado.v1" and visto["institucion"] == escenario.IMSS
    assert visto["correlationid"] == reporte_id and visto["topico"] == "alva.convenios"
    # Lo que ya pasó, en orden de tiempo, y termina: el reporte primero, luego lo que causó.
    codigo, legible, _ = await alva(infra, "observar", "--desde", "10m", "--correlacion", reporte_id, "--no-seguir")
    assert codigo == 0
    renglones = legible.splitlines()
    assert "ingreso.convenio.firmado" in renglones[0]
    assert any("convenios.convenio.firmado" in r for r in renglones[1:])


async def test_la_dlq_se_reenvia_una_sola_vez_y_solo_a_quien_la_aparto(infra, plataforma, productor, observador):
    # Algo ilegible llega al ingreso de Pénjamo: el guardián lo rechaza y lo aparta, crudo, en la DLQ.
    topico, dlq = topico_ingreso("penjamo"), topico_dlq(topico_ingreso("penjamo"))
    malo = await productor.send_and_wait(topico, b"{roto " + unico("dlq").encode(), key=b"penjamo",
                                         headers=[("content-type", b"application/cloudevents+json")])
    await observador.esperar(lambda e: e.type == EntradaRechazada.tipo and e.data["topico"] == topico
                             and e.data["offset"] == malo.offset, 60)
    codigo, salida, _ = await alva(infra, "dlq", "--topico", dlq, "--json")
    nuestro = [f for f in json.loads(salida) if f["offset_original"] == str(malo.offset)]
    assert codigo == 0 and [f["reenviado"] for f in nuestro] == [False] and nuestro[0]["servicio"] == "convenios"

    respuestas = await Observador.abrir(infra.opciones(), [topico_respuestas("penjamo")])
    try:
        codigo, salida, errores = await alva(infra, "dlq", "reenviar", "--topico", dlq)
        assert codigo == 0, errores
        assert "reenviados a quien los apartó" in salida
        # El servicio cree el reenvío (son los bytes que él apartó): sigue ilegible, y responde lo de entonces.
        repetido = await respuestas.esperar(lambda e: e.data.get("offset") == malo.offset and e.data["repetido"], 60)
        assert repetido.data["codigo"] == "json_invalido"
    finally:
        await respuestas.cerrar()
    codigo, salida, _ = await alva(infra, "dlq", "reenviar", "--topico", dlq)
    assert codigo == 0 and "Nada que reenviar" in salida
    codigo, salida, _ = await alva(infra, "dlq", "--topico", dlq, "--json")
    assert all(f["reenviado"] for f in json.loads(salida))


async def test_grupos_muestra_a_un_servicio_detenido_quedandose_atras(infra, plataforma, productor):
    institucion = unico("lag")
    topico = f"alva.pruebas.{institucion}"  # fuera de los patrones de los servicios
    grupo = f"alva-detenido-{institucion}"
    await topicos.crear(infra.opciones(), [topico])
    await productor.send_and_wait(topico, b"{}", key=b"x")
    # Un consumidor de grupo que leyó todo y se detuvo.
    lector = AIOKafkaConsumer(topico, **infra.opciones(), group_id=grupo, enable_auto_commit=False,
                              auto_offset_reset="earliest")
    await lector.start()
    try:
        limite = time.monotonic() + 30
        while not await lector.getmany(timeout_ms=1000):
            assert time.monotonic() < limite, "el consumidor no recibió el primer mensaje"
        await lector.commit()
    finally:
        await lector.stop()
    for _ in range(3):
        await productor.send_and_wait(topico, b"{}", key=b"x")
    codigo, salida, errores = await alva(infra, "grupos", "--json")
    assert codigo == 0, errores
    [fila] = [f for f in json.loads(salida) if f["grupo"] == grupo]
    assert fila["retraso"] == 3 and fila["por_topico"] == {topico: 3} and fila["instancias"] == 0
    assert (await alva(infra, "grupos", "--max-retraso", "2"))[0] == 1
    # Los cuatro servicios, en marcha, sí se ponen al día.
    codigo, _, errores = await alva(infra, "grupos", "--esperar-al-dia", "--plazo", "60", "--json")
    assert codigo == 0, errores  # 3 si no lo logran en el plazo


async def test_el_ejemplo_del_readme_con_aiokafka_envia_un_reporte_valido(infra, plataforma, tmp_path):
    """El bloque de Python del README, tal cual: su mensaje se lee como un reporte válido de Pénjamo."""
    from pathlib import Path

    from alva.observador import Observador
    from esquemas.catalogo import TIPOS

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    bloque = readme.split("<!-- ejemplo-python -->\n```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "ejemplo.py").write_text(bloque, encoding="utf-8")
    # Lo que `alva alta penjamo` le entregó a Pénjamo: sus ajustes de aiokafka, junto al programa.
    shutil.copy(carpeta_principales() / "institucion-penjamo.aiokafka.json", tmp_path)
    observador = await Observador.abrir(infra.opciones(), [topico_ingreso("penjamo")])
    try:
        proceso = await asyncio.create_subprocess_exec(
            sys.executable, str(tmp_path / "ejemplo.py"), cwd=tmp_path, stdout=asyncio.subprocess.PIPE)
        salida, _ = await asyncio.wait_for(proceso.communicate(), 60)
        assert proceso.returncode == 0
        reporte_id = salida.decode().strip()
        evento = await observador.esperar(lambda e: str(e.id) == reporte_id, 30)
    finally:
        await observador.cerrar()
    TIPOS[evento.type].modelo.model_validate(evento.data)
    assert evento.institucion == "penjamo"


async def test_las_acciones_de_quien_opera_sobre_evidencias(infra, plataforma, productor, observador):
    from tests.e2e.ayudas import convenio as convenio_de, enviar, objetivo

    cid = unico("PENJ")
    await enviar(productor, convenio_de(cid, "penjamo", [objetivo("mecanismo", "mecanismo_cooperacion", 1)]))
    for ev in ("EV-1", "EV-2"):
        codigo, salida, errores = await alva(
            infra, "emitir", "evidencia.enviada", "-i", "penjamo", "-d", f"convenio_id={cid}", "-d",
            "objetivo_id=mecanismo", "-d", f"evidencia_id={ev}", "-d", "descripcion=Acta de la mesa de cooperación",
            "-d", "documento=folio:PEN-ACTA-2026-03", "--esperar")
        assert codigo == 0 and "convenios.evidencia.recibida" in salida, (salida, errores)
    codigo, salida, _ = await alva(infra, "evidencia", "rechazar", cid, "mecanismo", "EV-1", "--motivo",
                                   "Falta la firma de ambas partes", "--json")
    assert codigo == 0
    desenlace = json.loads(salida)["desenlace"]["evento"]["data"]  # del tópico de respuestas del otorgante
    assert desenlace["aceptado"] and [h["type"] for h in desenlace["hechos"]] == [
        "mx.alva.convenios.evidencia.rechazada.v1"]
    rechazada = await observador.esperar(lambda e: e.id == desenlace["hechos"][0]["id"], 30)
    assert rechazada.data["motivo"] == "Falta la firma de ambas partes"
    codigo, salida, _ = await alva(infra, "evidencia", "aprobar", cid, "mecanismo", "EV-2")
    assert codigo == 0 and "aceptado" in salida
    # Sin motivo, un rechazo no sale: el modelo lo exige.
    codigo, _, errores = await alva(infra, "evidencia", "rechazar", cid, "mecanismo", "EV-1", "--motivo", " ")
    assert codigo == 2 and "motivo" in errores


async def test_observar_en_vivo_empieza_en_el_final_y_sigue(infra, plataforma, productor):
    from tests.e2e.ayudas import convenio as convenio_de, enviar, objetivo

    entorno = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": infra.kafka, "ALVA_POSTGRES_DSN": infra.postgres_dsn}
    proceso = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "alva", "observar", "-i", "penjamo", "--tipo", "convenios.convenio.firmado", "--json",
        "--max", "1", "--plazo", "60", env=entorno, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        # Ya escucha cuando lo dice; lo anterior (hay convenios de Pénjamo de otras pruebas) no se muestra.
        assert b"siguiendo" in await asyncio.wait_for(proceso.stderr.readline(), 30)
        cid = unico("VIVO")
        await enviar(productor, convenio_de(cid, "penjamo", [objetivo("personas", "personas_capacitadas", 5)]))
        salida, _ = await asyncio.wait_for(proceso.communicate(), 60)
    finally:
        if proceso.returncode is None:
            proceso.kill()
    assert proceso.returncode == 0
    [visto] = [json.loads(l) for l in salida.decode().splitlines()]
    assert visto["data"]["convenio_id"] == cid
