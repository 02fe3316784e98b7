"""Entregas reales: un servidor SMTP y un receptor HTTP de prueba; firmas, reintentos, fallas y caídas."""

import asyncio
import hashlib
import hmac
import json
import socket
import ssl
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import partial
from ipaddress import IPv4Address
from types import SimpleNamespace

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from esquemas.catalogo import topico_de
from esquemas.convenios import ConvenioFirmado, EvidenciaRechazada, ObjetivoCumplido
from esquemas.distintivos import DistintivoOtorgado, DistintivoRevocado, DistintivoVencido
from esquemas.rechazos import EntradaRechazada
from plataforma.bd import crear_pool, migrar
from plataforma.consumo import Procesador
from plataforma.metricas import Metricas
from plataforma.nube import Entrada, armar, leer, mensaje
from plataforma.periodico import una_vez
from servicios.notificaciones.app import crear_servicio
from servicios.notificaciones.casos_de_uso import avisar_por_vencer, resumir_rechazos
from servicios.notificaciones.canales import Correos
from servicios.notificaciones.config import AjustesNotificaciones
from servicios.notificaciones.envio import Canales, entregar, entregar_pendientes, registrar
from servicios.notificaciones.repositorio import PostgresNotificaciones
from servicios.notificaciones.suscriptores import reacciones
from tests.avisos import DATOS, ESPERADO
from tests.conftest import Buzon, unico

pytestmark = pytest.mark.integration
SECRETO = "s3cr3t-de-penjamo"


class Receptor:
    """Un sistema de institución que recibe webhooks: cada ruta responde a su manera."""

    def __init__(self) -> None:
        self.recibidos: list[tuple[str, dict, bytes, float]] = []
        self.fallas: dict[str, int] = {}

    async def manejar(self, peticion: web.Request) -> web.Response:
        cuerpo = await peticion.read()
        ruta = peticion.path
        if ruta == "/lento":
            await asyncio.sleep(3)
        self.recibidos.append((ruta, dict(peticion.headers), cuerpo, time.monotonic()))
        if ruta == "/falla-dos-veces" and self.fallas.get(ruta, 0) < 2:
            self.fallas[ruta] = self.fallas.get(ruta, 0) + 1
            return web.Response(status=503, headers={"Retry-After": "0"})
        if ruta == "/ya-no-existe":
            return web.Response(status=410)
        return web.Response(status=204)


@pytest.fixture
async def receptor():
    r = Receptor()
    app = web.Application()
    app.router.add_post("/{ruta:.*}", r.manejar)
    corredor = web.AppRunner(app)
    await corredor.setup()
    sitio = web.TCPSite(corredor, "127.0.0.1", _puerto_libre())
    await sitio.start()
    r.url = f"http://127.0.0.1:{sitio._port}"
    yield r
    await corredor.cleanup()


def _puerto_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def esquema(infra):
    nombre = f"prueba_{unico('notif').replace('-', '_')}"
    pool = await crear_pool(infra.postgres_dsn, nombre, maximo=6)
    await migrar(pool, nombre, crear_servicio(AjustesNotificaciones()).carpeta_sql)
    yield nombre, pool
    async with pool.acquire() as conn:
        await conn.execute(f'DROP SCHEMA "{nombre}" CASCADE')
    await pool.close()


def hecho(datos, institucion: str, offset: int | None = None) -> Entrada:
    """Un hecho tal como lo publica su servicio en su tópico, leído como lo lee notificaciones."""
    m = mensaje(topico_de(datos), armar(datos.tipo, datos.model_dump(mode="json"), id_=str(uuid.uuid4()),
                                        institucion=institucion, servicio="pruebas", cuando=datetime.now(UTC)))
    return leer(m.topico, 0, uuid.uuid4().int % 10**9 if offset is None else offset, datetime.now(UTC), m.llave,
                m.valor, m.cabeceras)


def rechazo_de_penjamo() -> Entrada:
    return hecho(EntradaRechazada(
        entrada_id=str(uuid.uuid4()), entrada_tipo="mx.alva.ingreso.sesion.completada.v1",
        topico="alva.ingreso.penjamo", particion=0, offset=7, codigo="sin_asistentes",
        motivo="La lista de asistentes está vacía.", campo="data.asistentes", servicio="capacitacion"), "penjamo")


def servicio_de(esquema, ajustes) -> SimpleNamespace:
    """Lo que las tareas de fondo necesitan del servicio, sin arrancarlo."""
    nombre, pool = esquema
    return SimpleNamespace(pool=pool, ajustes=ajustes, nombre=nombre, metricas=Metricas(nombre), relay=None,
                           procesador=Procesador(nombre, reacciones(ajustes), PostgresNotificaciones))


async def avisar_y_entregar(esquema, ajustes, entrada: Entrada | None, listo, plazo_s: float = 20):
    """Procesa el hecho (si lo hay) como el servicio, resume los rechazos (sin esperar el periodo) y deja correr al
    repartidor hasta que `listo(filas)`."""
    nombre, pool = esquema
    servicio = servicio_de(esquema, ajustes)
    antes = []
    if entrada is not None:  # las de llamadas anteriores no cuentan
        async with pool.acquire() as conn:
            antes = [f["notificacion_id"] for f in await conn.fetch("SELECT notificacion_id FROM entregas")]
    if entrada is not None:
        await servicio.procesador.procesar_lote(pool, [entrada])
    await una_vez(servicio, "resumen_rechazos", resumir_rechazos, ahora=datetime.now(UTC) + timedelta(days=1))
    tarea = asyncio.create_task(entregar_pendientes(SimpleNamespace(**{**vars(servicio),
                                                                       "relay": SimpleNamespace(confirmados=lambda _encolados: None)})))
    try:
        limite, filas = time.monotonic() + plazo_s, []
        while time.monotonic() < limite:
            async with pool.acquire() as conn:
                filas = await conn.fetch("SELECT * FROM entregas WHERE NOT notificacion_id = ANY($1::text[]) "
                                         "ORDER BY destinatario", antes)
            if filas and listo(filas):
                return filas
            await asyncio.sleep(0.05)
        raise TimeoutError(f"las entregas no terminaron: {[dict(f) for f in filas]}")
    finally:
        tarea.cancel()
        detenida, _ = await asyncio.wait({tarea}, timeout=30)
        assert detenida, "el repartidor de entregas no se detuvo al cancelarlo"
        await asyncio.gather(tarea, return_exceptions=True)


async def tecnico_de_penjamo(pool) -> None:
    """El contacto técnico de Pénjamo, quien recibe los rechazos de sus reportes."""
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO contactos (institucion, email, nombre, rol, registrado_en) "
                           "VALUES ('penjamo', 'sistemas@penjamo.example', 'Sistemas', 'tecnico', now())")


def ajustes_con(infra, *rutas: str, receptor=None, **extra) -> AjustesNotificaciones:
    webhooks = [{"institucion": "penjamo", "url": f"{receptor.url}{r}", "secreto": SECRETO} for r in rutas]
    return AjustesNotificaciones(kafka_bootstrap_servers=infra.kafka, postgres_dsn=infra.postgres_dsn,
                                 webhooks=webhooks, reintento_base_s=0.05, webhook_timeout_s=5, **extra)


def ajustes_smtp(infra, puerto: int, **extra) -> AjustesNotificaciones:
    """Los de una prueba que envía correo al servidor SMTP de prueba en `puerto`."""
    return AjustesNotificaciones(kafka_bootstrap_servers=infra.kafka, postgres_dsn=infra.postgres_dsn,
                                 smtp_host="127.0.0.1", smtp_puerto=puerto, **extra)


def terminadas(filas) -> bool:
    return all(f["estado"] in ("enviada", "fallida") for f in filas)


async def hechos(pool, tipo: str) -> list[dict]:
    async with pool.acquire() as conn:
        filas = await conn.fetch("SELECT valor FROM outbox ORDER BY lote, orden")
    return [e["data"] for e in map(lambda f: json.loads(f["valor"]), filas) if e["type"].endswith(tipo)]


async def test_el_webhook_va_firmado_y_se_verifica_con_hmac_de_la_biblioteca_estandar(infra, esquema, receptor):
    evento = rechazo_de_penjamo()
    await avisar_y_entregar(esquema, ajustes_con(infra, "/ok", receptor=receptor), evento, terminadas)
    ruta, cabeceras, cuerpo, _ = receptor.recibidos[0]
    # Lo que haría el sistema de Pénjamo, sin código de ALVA: separar t y v1, calcular el HMAC y comparar.
    partes = dict(p.split("=", 1) for p in cabeceras["ALVA-Firma"].split(","))
    esperado = hmac.new(SECRETO.encode(), f"{partes['t']}.".encode() + cuerpo, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(esperado, partes["v1"])
    assert abs(time.time() - int(partes["t"])) < 60
    assert cabeceras["ALVA-Aviso"] == "rechazo" and cabeceras["Content-Type"] == "application/cloudevents+json"
    assert json.loads(cuerpo)["id"] == evento.evento.id
    enviada = (await hechos(esquema[1], "notificacion.enviada.v1"))[0]
    assert enviada["canal"] == "webhook" and enviada["notificacion_id"] == cabeceras["ALVA-Entrega"]


async def test_el_webhook_no_lleva_las_direcciones_de_los_contactos(infra, esquema, receptor):
    datos = ConvenioFirmado.model_validate(DATOS["convenio_firmado"]).model_dump(mode="json")
    datos["institucion"]["id"] = "penjamo"
    assert datos["contactos"]
    evento = hecho(ConvenioFirmado.model_validate(datos), "penjamo")
    await avisar_y_entregar(esquema, ajustes_con(infra, "/ok", receptor=receptor), evento,
                            lambda filas: terminadas([f for f in filas if f["canal"] == "webhook"]))
    [(_, cabeceras, cuerpo, _)] = receptor.recibidos  # los contactos, por correo; el sistema, por webhook
    recibido = json.loads(cuerpo)
    assert cabeceras["ALVA-Aviso"] == "convenio_firmado" and recibido["id"] == evento.evento.id
    assert recibido["specversion"] == "1.0" and recibido["type"] == ConvenioFirmado.tipo  # un CloudEvent completo
    assert "contactos" not in recibido["data"] and recibido["data"]["convenio_id"] == datos["convenio_id"]
    assert b"@imss.example" not in cuerpo


async def test_reintenta_lo_temporal_hasta_lograrlo(infra, esquema, receptor):
    filas = await avisar_y_entregar(esquema, ajustes_con(infra, "/falla-dos-veces", receptor=receptor),
                                    rechazo_de_penjamo(), terminadas)
    assert [f["estado"] for f in filas] == ["enviada"]
    assert filas[0]["intentos"] == 3
    assert len(receptor.recibidos) == 3


async def test_lo_permanente_no_se_reintenta_y_se_publica_como_fallida(infra, esquema, receptor):
    filas = await avisar_y_entregar(esquema, ajustes_con(infra, "/ya-no-existe", receptor=receptor),
                                    rechazo_de_penjamo(), terminadas)
    assert [(f["estado"], f["intentos"]) for f in filas] == [("fallida", 1)]
    fallida = (await hechos(esquema[1], "notificacion.fallida.v1"))[0]
    assert "HTTP 410" in fallida["motivo"] and fallida["intentos"] == 1


async def test_tras_el_ultimo_intento_temporal_queda_fallida(infra, esquema, receptor):
    ajustes = ajustes_con(infra, "/falla-dos-veces", receptor=receptor, intentos_max=2)
    filas = await avisar_y_entregar(esquema, ajustes, rechazo_de_penjamo(), terminadas)
    assert [(f["estado"], f["intentos"]) for f in filas] == [("fallida", 2)]
    assert "503" in (await hechos(esquema[1], "notificacion.fallida.v1"))[0]["motivo"]


async def test_un_destinatario_lento_no_frena_a_los_demas(infra, esquema, receptor):
    filas = await avisar_y_entregar(esquema, ajustes_con(infra, "/lento", "/ok", receptor=receptor),
                                    rechazo_de_penjamo(), terminadas)
    assert [f["estado"] for f in filas] == ["enviada", "enviada"]
    llegadas = {ruta: cuando for ruta, _, _, cuando in receptor.recibidos}
    assert llegadas["/ok"] < llegadas["/lento"] - 2  # el rápido no esperó los 3 s del lento


class RechazaTodo:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - nombre de aiosmtpd
        return "550 5.1.1 No existe ese buzón"


async def test_un_correo_rechazado_por_smtp_5xx_queda_fallido(infra, esquema):
    smtp = Controller(RechazaTodo(), hostname="127.0.0.1", port=_puerto_libre())
    smtp.start()
    try:
        nombre, pool = esquema
        await tecnico_de_penjamo(pool)
        ajustes = ajustes_smtp(infra, smtp.port)
        filas = await avisar_y_entregar(esquema, ajustes, rechazo_de_penjamo(), terminadas)
        assert [(f["estado"], f["intentos"]) for f in filas] == [("fallida", 1)]
        assert "550" in filas[0]["ultimo_error"]
    finally:
        smtp.stop()


async def test_una_caida_entre_enviar_y_registrar_reenvia_con_el_mismo_message_id(infra, esquema):
    """La única ventana de un segundo correo: el servidor SMTP aceptó y el proceso murió antes de registrarlo."""
    buzon = Buzon()
    buzon.controlador.start()
    try:
        nombre, pool = esquema
        await tecnico_de_penjamo(pool)
        ajustes = ajustes_smtp(infra, buzon.puerto)
        servicio = servicio_de(esquema, ajustes)
        await servicio.procesador.procesar_lote(pool, [rechazo_de_penjamo()])
        await una_vez(servicio, "resumen_rechazos", resumir_rechazos, ahora=datetime.now(UTC) + timedelta(days=1))
        servicio.relay = SimpleNamespace(confirmados=lambda _encolados: None)
        # Un repartidor la toma (con un plazo corto), la envía y "muere" antes de registrar.
        async with pool.acquire() as conn:
            [tomada] = await PostgresNotificaciones(conn).tomar(10, plazo_s=0.2)
        muerto = Correos(ajustes)
        await muerto.enviar(tomada)
        await muerto.cerrar()
        await buzon.esperar(lambda m: True, 10)
        # Otro repartidor, vencido el plazo, la da por perdida y la entrega: el mismo Message-ID.
        retomadas, limite = [], time.monotonic() + 10
        while not retomadas and time.monotonic() < limite:  # hasta que venza el plazo de 0,2 s del muerto
            async with pool.acquire() as conn:
                retomadas = await PostgresNotificaciones(conn).tomar(10, plazo_s=30)
            await asyncio.sleep(0.02)
        [retomada] = retomadas
        await registrar(servicio, [await entregar(ajustes, Canales(Correos(ajustes), None), retomada)])
        segundo = await buzon.esperar(lambda m: len(buzon.mensajes) == 2, 10)
        assert buzon.mensajes[0]["Message-ID"] == segundo["Message-ID"] == f"<{tomada['notificacion_id']}@alva.local>"
        # Registrada, ya nadie la toma de nuevo: no hay tercer correo.
        async with pool.acquire() as conn:
            assert await PostgresNotificaciones(conn).tomar(10, plazo_s=30) == []
            assert await conn.fetchval("SELECT estado FROM entregas WHERE notificacion_id = $1",
                                       tomada["notificacion_id"]) == "enviada"
        # El registro tardío del repartidor muerto, si despertara, no cuenta: la entrega ya no es suya.
        async with pool.acquire() as conn:
            assert await PostgresNotificaciones(conn).registrar_varias(
                [(tomada["notificacion_id"], tomada["tomada_hasta"], "enviada", None, 0.0, datetime.now(UTC))]) == set()
    finally:
        buzon.controlador.stop()


async def test_los_correos_reusan_sus_conexiones_y_cada_uno_queda_registrado_con_su_hecho(infra, esquema):
    """Veinte avisos de golpe: viajan por a lo más tantas conexiones SMTP como entregas a la vez (no una por
    correo), y cada entrega queda enviada con exactamente un `notificacion.enviada` en el outbox."""
    buzon = Buzon()
    buzon.controlador.start()
    try:
        nombre, pool = esquema
        ajustes = ajustes_smtp(infra, buzon.puerto, entregas_a_la_vez=4)
        servicio = servicio_de(esquema, ajustes)
        await servicio.procesador.procesar_lote(
            pool, [hecho(ConvenioFirmado.model_validate(DATOS["convenio_firmado"]), "imss-guanajuato")])
        cumplidos = [hecho(ObjetivoCumplido.model_validate({**DATOS["objetivo_cumplido"], "objetivo_id": f"o-{k}"}),
                           "imss-guanajuato") for k in range(20)]
        await servicio.procesador.procesar_lote(pool, cumplidos)
        async with pool.acquire() as conn:
            cuantas = await conn.fetchval("SELECT count(*) FROM entregas")
        assert cuantas > 20
        filas = await avisar_y_entregar(esquema, ajustes, None, lambda f: len(f) == cuantas and terminadas(f))
        assert {f["estado"] for f in filas} == {"enviada"} and len(buzon.mensajes) == cuantas
        assert 1 <= len(buzon.conexiones) <= 4, buzon.conexiones
        enviadas = [h["notificacion_id"] for h in await hechos(pool, "notificacion.enviada.v1")]
        assert sorted(enviadas) == sorted(f["notificacion_id"] for f in filas)
    finally:
        buzon.controlador.stop()


async def test_una_conexion_que_el_servidor_cerro_se_reemplaza_sin_perder_el_correo(infra):
    """El servidor cierra las conexiones ociosas (aquí tras 0,3 s): el siguiente correo va por una nueva y llega
    al primer intento."""
    buzon = Buzon()
    buzon.controlador = Controller(buzon, hostname="127.0.0.1", port=buzon.puerto, timeout=0.3)
    buzon.controlador.start()
    try:
        correos = Correos(ajustes_smtp(infra, buzon.puerto))
        base = {"destinatario": "sistemas@penjamo.example", "asunto": "Prueba", "texto": "Hola", "html": "<p>Hola</p>",
                "evento_id": "e", "aviso": "rechazo", "adjuntos": "[]"}
        await correos.enviar({**base, "notificacion_id": "uno"})
        assert correos.libres() == 1
        limite = time.monotonic() + 10
        while correos.libres() and time.monotonic() < limite:  # hasta que el servidor la cierre por ociosa
            await asyncio.sleep(0.05)
        assert correos.libres() == 0
        await correos.enviar({**base, "notificacion_id": "dos"})
        assert [m["Message-ID"] for m in buzon.mensajes] == ["<uno@alva.local>", "<dos@alva.local>"]
        assert len(buzon.conexiones) == 2  # la segunda, por una conexión nueva
        await correos.cerrar()
    finally:
        buzon.controlador.stop()


async def test_tomar_entregas_lee_solo_las_que_toma(infra, esquema):
    """Con 20 000 entregas ya enviadas y 5 000 esperando (un atraso grande), tomar 20 lee unas 20 filas por sus
    índices parciales, en orden: ni recorre la tabla ni ordena todo lo que espera en cada toma."""
    nombre, pool = esquema
    async with pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO entregas (notificacion_id, evento_id, evento_tipo, aviso, institucion, canal, destinatario,
                                     asunto, texto, html, causa, adjuntos, creada_en, estado, proximo_intento)
               SELECT 'n-' || g, 'e-' || g, 't', 'objetivo_cumplido', 'penjamo', 'email', 'a@penjamo.example', 'a',
                      'texto', '<p>html</p>', '{}', '[]', now(),
                      CASE WHEN g <= 20000 THEN 'enviada' ELSE 'pendiente' END,
                      now() - make_interval(secs => 25000 - g)
               FROM generate_series(1, 25000) g""")
        await conn.execute("ANALYZE entregas")
        deshacer = conn.transaction()  # EXPLAIN ANALYZE ejecuta la toma: se deshace
        await deshacer.start()
        [plan] = json.loads(await conn.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + _sentencia_de(
            PostgresNotificaciones.tomar), 20, 45.0))
        await deshacer.rollback()
        tomadas = await PostgresNotificaciones(conn).tomar(20, 45.0)
    leidas = [n["Actual Rows"] * n.get("Actual Loops", 1) for n in _nodos(plan["Plan"])
              if n.get("Relation Name") == "entregas" and n.get("Index Name") != "entregas_pkey"]
    assert leidas and max(leidas) <= 40, leidas
    # las más antiguas primero
    assert sorted(t["notificacion_id"] for t in tomadas) == sorted(f"n-{g}" for g in range(20001, 20021))


def _nodos(nodo: dict):
    yield nodo
    for hijo in nodo.get("Plans", []):
        yield from _nodos(hijo)


def _sentencia_de(metodo) -> str:
    """La sentencia SQL de un método del repositorio, tal como la envía."""
    import inspect
    import re
    return re.search(r'fetch\(\s*"""(.*?)"""', inspect.getsource(metodo), re.S).group(1)


MODELOS = {"convenio_firmado": ConvenioFirmado, "objetivo_cumplido": ObjetivoCumplido,
           "evidencia_rechazada": EvidenciaRechazada, "distintivo_otorgado": DistintivoOtorgado,
           "distintivo_vencido": DistintivoVencido, "distintivo_revocado": DistintivoRevocado,
           "rechazo": EntradaRechazada}
ENLACE, TECNICO = "igualdad.guanajuato@imss.example", "sistemas.guanajuato@imss.example"
DIRECCION, OPERACIONES = "direccion@imss.example", "operaciones@prodheg.example"
QUIENES = {
    "convenio_firmado": {ENLACE, OPERACIONES},
    "objetivo_cumplido": {ENLACE, OPERACIONES},
    "evidencia_rechazada": {ENLACE, OPERACIONES},
    "distintivo_otorgado": {ENLACE, DIRECCION, OPERACIONES},
    "distintivo_por_vencer": {ENLACE, DIRECCION, OPERACIONES},
    "distintivo_vencido": {ENLACE, OPERACIONES},
    "distintivo_revocado": {ENLACE, OPERACIONES},
    "rechazo": {TECNICO},
}


async def test_cada_aviso_llega_por_correo_a_quien_lo_eligio_con_lo_que_debe_decir(infra, esquema):
    """Los ocho avisos, de hechos reales a correos reales; el de por vencer, sin que nadie envíe nada."""
    buzon = Buzon()
    buzon.controlador.start()
    try:
        nombre, pool = esquema
        ajustes = ajustes_smtp(infra, buzon.puerto,
                               operadores=[OPERACIONES, {"email": "sin-avisos@prodheg.example", "avisos": []}])
        firmado = dict(DATOS["convenio_firmado"])
        firmado["contactos"] = [*firmado["contactos"], {"nombre": "Dirección", "email": DIRECCION,
                                                        "avisos": ["distintivo_otorgado", "distintivo_por_vencer"]}]
        datos = {**DATOS, "convenio_firmado": firmado}
        servicio = servicio_de(esquema, ajustes)
        for aviso, modelo in MODELOS.items():
            await servicio.procesador.procesar_lote(pool, [hecho(modelo.model_validate(datos[aviso]), "imss-guanajuato")])
        # Siete días antes del fin de vigencia del distintivo otorgado (y antes de su vencimiento, que lo cierra):
        # la tarea por tiempo lo encuentra. Se reabre para que cuente como vigente.
        async with pool.acquire() as conn:
            await conn.execute("UPDATE distintivos SET estado = 'vigente'")
        fin = date.fromisoformat(DATOS["distintivo_otorgado"]["vigencia"]["fin"])
        await una_vez(servicio, "por_vencer", avisar_por_vencer, ahora=_dia(fin - timedelta(days=7)))

        esperados = sum(len(q) for q in QUIENES.values())
        await avisar_y_entregar(esquema, ajustes, None, lambda filas: len(filas) == esperados and terminadas(filas))
        assert len(buzon.mensajes) == esperados
        por_aviso: dict[str, set[str]] = {}
        for m in buzon.mensajes:
            por_aviso.setdefault(m["X-ALVA-Aviso"], set()).add(m["To"])
            texto = m.get_body(preferencelist=("plain",)).get_content()
            html = m.get_body(preferencelist=("html",)).get_content()
            assert ESPERADO[m["X-ALVA-Aviso"]] in texto, (m["X-ALVA-Aviso"], texto)
            assert "<p>" in html and "Plataforma ALVA" in texto
            adjuntos = {a.get_filename(): a.get_content() for a in m.iter_attachments()}
            if m["X-ALVA-Aviso"] == "distintivo_otorgado":
                assert adjuntos == {"distintivo-d-1.jwt": b"eyJ.x.y"}
            else:
                assert adjuntos == {}
        assert por_aviso == QUIENES
        # Nada de otra persona en el correo del técnico: sólo el rechazo de su propio reporte.
        [rechazo] = [m for m in buzon.mensajes if m["X-ALVA-Aviso"] == "rechazo"]
        assert ENLACE not in rechazo.as_string() and OPERACIONES not in rechazo.as_string()
        # El aviso de por vencer sale una vez por umbral: correr la tarea otra vez no crea entregas.
        await una_vez(servicio, "por_vencer", avisar_por_vencer, ahora=_dia(fin - timedelta(days=6)))
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM entregas") == esperados
    finally:
        buzon.controlador.stop()


def _dia(dia: date) -> datetime:
    return datetime.combine(dia, datetime.min.time(), UTC)


def certificado_propio(carpeta) -> tuple[str, str]:
    """Un certificado autofirmado para 127.0.0.1: el de un servidor SMTP de la institución, y su CA."""
    clave = ec.generate_private_key(ec.SECP256R1())
    nombre = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.prueba.alva")])
    ahora = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(nombre).issuer_name(nombre).public_key(clave.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(ahora - timedelta(minutes=1))
            .not_valid_after(ahora + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(clave, hashes.SHA256()))
    ruta_cert, ruta_clave = carpeta / "smtp.pem", carpeta / "smtp.key"
    ruta_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    ruta_clave.write_bytes(clave.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return str(ruta_cert), str(ruta_clave)


async def test_correo_con_starttls_y_credenciales(infra, esquema, tmp_path):
    cert, clave = certificado_propio(tmp_path)
    contexto = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    contexto.load_cert_chain(cert, clave)
    autenticados = []

    def autenticar(server, session, envelope, mecanismo, datos):
        ok = session.ssl is not None and (datos.login, datos.password) == (b"alva", b"clave-de-prueba")
        autenticados.append(ok)
        return AuthResult(success=ok, handled=False)  # sin manejar: aiosmtpd responde 535 si falla

    buzon = Buzon()
    buzon.controlador = Controller(buzon, hostname="127.0.0.1", port=buzon.puerto, tls_context=contexto,
                                   require_starttls=True, auth_required=True, authenticator=autenticar)
    buzon.controlador.start()
    try:
        nombre, pool = esquema
        await tecnico_de_penjamo(pool)
        comun = dict(kafka_bootstrap_servers=infra.kafka, postgres_dsn=infra.postgres_dsn, smtp_host="127.0.0.1",
                     smtp_puerto=buzon.puerto, smtp_starttls=True, smtp_ca=cert, smtp_usuario="alva")
        # Una clave equivocada es permanente (535): no se reintenta.
        filas = await avisar_y_entregar(esquema, AjustesNotificaciones(**comun, smtp_clave="otra"),
                                        rechazo_de_penjamo(), terminadas)
        assert [(f["estado"], f["intentos"]) for f in filas] == [("fallida", 1)] and "535" in filas[0]["ultimo_error"]
        filas = await avisar_y_entregar(esquema, AjustesNotificaciones(**comun, smtp_clave="clave-de-prueba"),
                                        rechazo_de_penjamo(), terminadas)
        assert [f["estado"] for f in filas] == ["enviada"]
        # aiosmtplib prueba más de un mecanismo con la clave mala; con la buena, uno basta y va cifrado.
        assert not any(autenticados[:-1]) and autenticados[-1] is True
        assert [m["To"] for m in buzon.mensajes] == ["sistemas@penjamo.example"]
    finally:
        buzon.controlador.stop()


async def test_cada_convenio_avisa_a_sus_propios_contactos(infra, esquema):
    """Dos convenios de Pénjamo con contactos distintos: cada aviso va a los del suyo; el rechazo de un
    reporte, que no es de ningún convenio, al técnico del convenio más reciente."""
    buzon = Buzon()
    buzon.controlador.start()
    try:
        nombre, pool = esquema
        ajustes = ajustes_smtp(infra, buzon.puerto)
        servicio = servicio_de(esquema, ajustes)
        base = ConvenioFirmado.model_validate(DATOS["convenio_firmado"]).model_dump(mode="json")
        eventos = []
        for cid, enlace, tecnico in (("PEN-2025", "mujeres2025@penjamo.example", "ti2025@penjamo.example"),
                                     ("PEN-2026", "mujeres2026@penjamo.example", "ti2026@penjamo.example")):
            datos = {**base, "convenio_id": cid, "institucion": {**base["institucion"], "id": "penjamo"},
                     "contactos": [{"nombre": "Enlace", "email": enlace},
                                   {"nombre": "Sistemas", "email": tecnico, "rol": "tecnico"}]}
            eventos.append(hecho(ConvenioFirmado.model_validate(datos), "penjamo"))
        cumplido = {**DATOS["objetivo_cumplido"], "convenio_id": "PEN-2025"}
        eventos.append(hecho(ObjetivoCumplido.model_validate(cumplido), "penjamo"))
        eventos.append(rechazo_de_penjamo())
        for evento in eventos:
            await servicio.procesador.procesar_lote(pool, [evento])
        await avisar_y_entregar(esquema, ajustes, None, lambda filas: len(filas) == 4 and terminadas(filas))
        por_aviso = sorted((m["X-ALVA-Aviso"], m["To"]) for m in buzon.mensajes)
        assert por_aviso == [("convenio_firmado", "mujeres2025@penjamo.example"),
                             ("convenio_firmado", "mujeres2026@penjamo.example"),
                             ("objetivo_cumplido", "mujeres2025@penjamo.example"),
                             ("rechazo", "ti2026@penjamo.example")]
    finally:
        buzon.controlador.stop()
