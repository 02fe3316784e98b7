"""El puerto de operación contra Kafka y PostgreSQL reales: salud, disponibilidad, métricas y AsyncAPI por HTTP."""

import asyncio
import json
import re
import socket
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from alva import escenario
from esquemas import CONTENT_TYPE
from plataforma.bd import crear_pool, migrar
from plataforma.config import Ajustes
from esquemas.capacitacion import SesionCompletada
from esquemas.control import InstitucionDadaDeAlta
from esquemas.convenios import ConvenioFirmado, ObjetivoCumplido
from esquemas.ingreso import ReporteConvenioFirmado
from plataforma.consumo import Procesador, Reaccion
from plataforma.metricas import Metricas
from plataforma.nube import leer
from plataforma.repositorio import EnPostgres, Repositorio
from plataforma.operacion import PuertoNoDisponible, puerto_de
from plataforma.servicio import Servicio
from plataforma.permisos import topicos_institucion
from plataforma.topicos import dar_de_alta
from tests.conftest import unico
from tests.servicios import FABRICAS, ajustes_de, arrancar

pytestmark = pytest.mark.integration

CONVENIO = "mx.alva.ingreso.convenio.firmado.v1"


def cliente(servicio) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{servicio.puerto_operacion_real}", timeout=10)


def muestras(texto: str) -> dict[tuple[str, frozenset], float]:
    return {(m.name, frozenset(m.labels.items())): m.value
            for familia in text_string_to_metric_families(texto) for m in familia.samples}


async def esperar(condicion, plazo_s: float = 30):
    limite = asyncio.get_running_loop().time() + plazo_s
    while not (valor := await condicion()):
        if asyncio.get_running_loop().time() > limite:
            raise TimeoutError(f"no se cumplió en {plazo_s:g} s")
        await asyncio.sleep(0.1)
    return valor


@pytest.fixture(scope="module")
async def convenios(infra):
    """El servicio de convenios de verdad, en un puerto libre."""
    async with AsyncExitStack() as pila:
        yield await arrancar(pila, "convenios", infra)


class SinEstado(EnPostgres, Repositorio):
    """Un servicio de prueba sin tablas propias."""


class SeCaeAlEscribir(SinEstado):
    """Escribir el lote falla como si PostgreSQL se fuera, si el lote trae un convenio «CAIDA»."""

    caida = False

    async def confirmar(self) -> None:
        if self.caida:
            raise ConnectionResetError("PostgreSQL se fue a media transacción")
        await super().confirmar()


def de(institucion: str, reporte: escenario.Reporte) -> escenario.Reporte:
    """El mismo reporte, enviado por otra institución (la de un tópico de ingreso propio de la prueba)."""
    evento = reporte.evento.model_copy(update={"institucion": institucion})
    return escenario.Reporte(f"alva.ingreso.{institucion}", evento)


def reaccion(caso) -> dict[str, Reaccion]:
    return {CONVENIO: Reaccion(ReporteConvenioFirmado, caso)}


def servicio_de_prueba(infra, tmp_path, patron: str, reacciones: dict, **extra) -> Servicio:
    """Un servicio propio (su grupo de consumo, su esquema, su tópico): nadie más consume lo que se le envía."""
    ajustes = Ajustes(kafka_bootstrap_servers=infra.kafka, postgres_dsn=infra.postgres_dsn, lote_espera_ms=50,
                      periodo_s=0.5, kafka_usuario=infra.admin.usuario, **{"puerto_operacion": 0, **extra})
    return Servicio("prueba_operacion", patron, reacciones, SinEstado, tmp_path, ajustes)


async def test_vivo_listo_y_asyncapi_de_un_servicio_real(convenios):
    async with cliente(convenios) as http:
        vivo = await http.get("/salud/vivo")
        assert vivo.status_code == 200 and vivo.json()["vivo"] is True

        listo = await http.get("/salud/listo")
        assert listo.status_code == 200, listo.text
        assert listo.json()["revisiones"] == {"postgres": {"ok": True}, "kafka": {"ok": True}}
        assert listo.json()["avisos"] == []  # el embebido es durable: fsync y synchronous_commit encendidos

        documento = (await http.get("/asyncapi.json")).json()
        assert "alva-convenios" in documento["channels"] and "alva-convenios" in documento["operations"]
        assert documento["info"]["title"] == "ALVA convenios"
        # Qué consume y qué publica, con los esquemas de esquemas/: el sobre CloudEvents y `data` de cada tipo.
        esquemas = documento["components"]["schemas"]
        consume = {s["properties"]["type"]["const"]: s for s in esquemas["alva-convenios:Message:Payload"]["items"]["oneOf"]}
        assert {ReporteConvenioFirmado.tipo, SesionCompletada.tipo, InstitucionDadaDeAlta.tipo} <= set(consume)
        firmado = consume[ReporteConvenioFirmado.tipo]
        assert {"id", "source", "specversion", "type", "data"} <= set(firmado["required"])
        assert "objetivos" in firmado["properties"]["data"]["properties"] and "$ref" not in json.dumps(firmado)
        operaciones = {o["action"]: o for o in documento["operations"].values()}
        assert set(operaciones) == {"receive", "send"}
        publica = {s["properties"]["type"]["const"]
                   for s in esquemas["alva.convenios (convenios):Message:Payload"]["oneOf"]}
        assert {ConvenioFirmado.tipo, ObjetivoCumplido.tipo} <= publica
        assert "alva.rechazos (convenios)" in documento["channels"]
        pagina = await http.get("/asyncapi")
        assert pagina.status_code == 200 and pagina.headers["content-type"].startswith("text/html")
        assert "alva-convenios" in pagina.text

        metricas = await http.get("/metricas")
        assert metricas.headers["content-type"].startswith("text/plain")
        familias = {f.name for f in text_string_to_metric_families(metricas.text)}
        assert {"alva_eventos_procesados", "alva_eventos_rechazados", "alva_outbox_pendientes",
                "faststream_received_messages"} <= familias
        assert ("alva_outbox_pendientes", frozenset({("servicio", "convenios")})) in muestras(metricas.text)

        assert (await http.get("/no-existe")).status_code == 404


async def test_sin_postgres_no_esta_listo_y_dice_por_que(convenios, infra):
    cerrado = await crear_pool(infra.postgres_dsn, "convenios", maximo=1)
    await cerrado.close()
    propio, convenios.pool = convenios.pool, cerrado  # sólo la revisión ve el pool cerrado; la base sigue en pie
    try:
        async with cliente(convenios) as http:
            respuesta = await http.get("/salud/listo")
            vivo = await http.get("/salud/vivo")
    finally:
        convenios.pool = propio
    assert respuesta.status_code == 503
    cuerpo = respuesta.json()
    assert cuerpo["listo"] is False and cuerpo["fallan"] == ["postgres"]
    assert cuerpo["revisiones"]["kafka"] == {"ok": True}
    assert "SELECT 1" in cuerpo["revisiones"]["postgres"]["motivo"]
    assert vivo.status_code == 200  # el proceso sigue vivo: no hay que reiniciarlo, sólo esperar


async def test_sin_arrancar_ni_postgres_ni_kafka_estan_listos(infra, tmp_path):
    servicio = servicio_de_prueba(infra, tmp_path, r"^prueba\.nada$", {})
    await servicio.operacion.abrir()
    try:
        async with cliente(servicio) as http:
            assert (await http.get("/salud/vivo")).status_code == 200
            respuesta = await http.get("/salud/listo")
    finally:
        await servicio.operacion.cerrar()
    assert respuesta.status_code == 503
    assert respuesta.json()["fallan"] == ["postgres", "kafka"]
    assert "Kafka" in respuesta.json()["revisiones"]["kafka"]["motivo"]


async def _cero(http, clave):
    valores = muestras((await http.get("/metricas")).text)
    return valores if valores.get(clave) == 0.0 else None


async def test_un_evento_procesado_se_cuenta_en_metricas(infra, tmp_path):
    institucion = unico("t")
    topico = f"alva.ingreso.{institucion}"
    recibidos = []

    def registrar(ctx, datos):
        recibidos.append(datos.convenio_id)

    await dar_de_alta(infra.admin, institucion)
    productor = AIOKafkaProducer(**infra.opciones(), acks="all")
    await productor.start()
    try:
        async with AsyncExitStack() as pila:
            servicio = servicio_de_prueba(infra, tmp_path, f"^{re.escape(topico)}$", reaccion(registrar))
            await servicio.app.start()
            pila.push_async_callback(servicio.app.stop)

            async with servicio.pool.acquire() as conn:  # dada de alta: lo de su ingreso no espera
                await conn.execute("INSERT INTO instituciones VALUES ($1) ON CONFLICT DO NOTHING", institucion)
            reporte = de(institucion, escenario.convenio(unico("metricas"), date.today()))
            await productor.send_and_wait(topico, reporte.evento.a_json(), key=reporte.evento.llave,
                                          headers=[("content-type", CONTENT_TYPE.encode())])
            async with cliente(servicio) as http:
                async def contado():
                    texto = (await http.get("/metricas")).text
                    clave = ("alva_eventos_procesados_total",
                             frozenset({("servicio", "prueba_operacion"), ("tipo", CONVENIO)}))
                    return muestras(texto) if muestras(texto).get(clave) == 1.0 else None

                valores = await esperar(contado)
                clave = ("alva_outbox_pendientes", frozenset({("servicio", "prueba_operacion")}))
                vacio = await esperar(lambda: _cero(http, clave))  # el relay publicó el desenlace para la institución
    finally:
        await productor.stop()
        admin = AIOKafkaAdminClient(**infra.opciones())
        await admin.start()
        try:
            await admin.delete_topics(list(topicos_institucion(institucion)))
        finally:
            await admin.close()

    assert recibidos == [reporte.evento.data["convenio_id"]]
    recibidas = {dict(e)["handler"]: v for (n, e), v in valores.items() if n == "faststream_received_messages_total"}
    assert recibidas == {topico: 1.0}  # la métrica propia de FastStream, por tópico
    assert vacio[clave] == 0.0


async def test_se_cuenta_solo_lo_que_confirma_su_transaccion(infra, tmp_path):
    esquema = "prueba_operacion_lote"

    def registrar(ctx, datos):
        SeCaeAlEscribir.caida = SeCaeAlEscribir.caida or "CAIDA" in datos.convenio_id

    pool = await crear_pool(infra.postgres_dsn, esquema, maximo=2)
    try:
        await migrar(pool, esquema, tmp_path)
        metricas = Metricas(esquema)
        procesador = Procesador(esquema, reaccion(registrar), SeCaeAlEscribir, metricas=metricas)
        offsets, institucion = iter(range(10**6)), unico("lote")
        async with pool.acquire() as conn:
            await conn.execute("INSERT INTO instituciones VALUES ($1)", institucion)

        def entrada(r, valor: bytes | None = None):
            r = de(institucion, r)
            return leer(f"alva.ingreso.{institucion}", 0, next(offsets), datetime.now(UTC), r.evento.llave,
                        valor or r.evento.a_json(), [("content-type", CONTENT_TYPE.encode())])

        def valor(nombre, **etiquetas):
            return metricas.registro.get_sample_value(nombre, {"servicio": esquema, **etiquetas}) or 0

        bueno = escenario.convenio(unico("ok"), date.today())
        invalido = json.loads(escenario.convenio(unico("mal"), date.today()).evento.a_json())
        invalido["data"]["objetivos"] = []
        await procesador.procesar_lote(pool, [entrada(bueno), entrada(bueno, json.dumps(invalido).encode())])
        assert valor("alva_eventos_procesados_total", tipo=CONVENIO) == 1
        rechazos = {dict(m.labels)["codigo"]: m.value for f in text_string_to_metric_families(metricas.exponer().decode())
                    for m in f.samples if m.name == "alva_eventos_rechazados_total"}
        assert sum(rechazos.values()) == 1, rechazos

        otro, caida = (escenario.convenio(unico(p), date.today()) for p in ("otro", "CAIDA"))
        with pytest.raises(ConnectionResetError):
            await procesador.procesar_lote(pool, [entrada(otro), entrada(caida)])
        SeCaeAlEscribir.caida = False
        assert valor("alva_eventos_procesados_total", tipo=CONVENIO) == 1  # el lote se deshizo: no cuenta

        await metricas.medir_outbox(pool, plazo_s=2)
        async with pool.acquire() as conn:
            en_outbox = await conn.fetchval("SELECT count(*) FROM outbox")
        assert valor("alva_outbox_pendientes") == en_outbox > 0  # el rechazo espera ahí: este esquema no tiene relay
    finally:
        await pool.close()


async def test_dos_instancias_en_un_proceso_toman_puertos_libres_distintos(infra):
    fabrica, _ = FABRICAS["capacitacion"]
    una, otra = (fabrica(ajustes_de("capacitacion", infra)) for _ in range(2))  # como en tests/servicios.py
    async with AsyncExitStack() as pila:
        for servicio in (una, otra):
            await servicio.operacion.abrir()
            pila.push_async_callback(servicio.operacion.cerrar)
        assert una.puerto_operacion_real != otra.puerto_operacion_real
        for servicio in (una, otra):
            async with cliente(servicio) as http:
                assert (await http.get("/salud/vivo")).json()["servicio"] == "capacitacion"


async def test_un_puerto_ocupado_falla_al_arrancar_nombrando_puerto_y_variable(infra, tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as ocupado:
        puerto = ocupado.getsockname()[1]
        servicio = servicio_de_prueba(infra, tmp_path, r"^prueba\.nada$", {}, puerto_operacion=puerto)
        with pytest.raises(PuertoNoDisponible, match=rf"127\.0\.0\.1:{puerto}.*ALVA_PUERTO_OPERACION"):
            await servicio.arrancar()
    assert servicio.pool is None  # falló antes de tocar la base


async def test_puertos_por_omision_y_servidor_apagado(infra, tmp_path, monkeypatch):
    monkeypatch.delenv("ALVA_PUERTOS_OPERACION", raising=False)  # los de siempre, aunque quien prueba mueva los suyos
    esperados = {"convenios": 18081, "capacitacion": 18082, "distintivos": 18083, "notificaciones": 18084}
    for nombre, (fabrica, _) in FABRICAS.items():
        assert puerto_de(fabrica(ajustes_de(nombre, infra, puerto_operacion=None))) == esperados[nombre]
    apagado = servicio_de_prueba(infra, tmp_path, r"^prueba\.nada$", {}, puerto_operacion=-1)
    await apagado.operacion.abrir()
    assert apagado.puerto_operacion_real is None
