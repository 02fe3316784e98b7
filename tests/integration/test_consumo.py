"""El consumo por lotes contra PostgreSQL real: reentregas sin efecto, venenos rechazados sin detener el lote."""

import json
import uuid
from datetime import date

import pytest

from alva import escenario
from esquemas import CONTENT_TYPE
from esquemas.rechazos import EntradaRechazada
from plataforma.bd import crear_pool, migrar
from plataforma.consumo import Procesador
from plataforma.nube import leer
from servicios.convenios.app import crear_servicio
from servicios.convenios.config import AjustesConvenios
from tests.conftest import unico

pytestmark = pytest.mark.integration

ESQUEMA = "prueba_consumo"


@pytest.fixture
async def convenios(infra):
    """Las reacciones del servicio de convenios en un esquema propio, sin relay que vacíe su outbox."""
    servicio = crear_servicio(AjustesConvenios(kafka_bootstrap_servers=infra.kafka, postgres_dsn=infra.postgres_dsn))
    pool = await crear_pool(infra.postgres_dsn, ESQUEMA, maximo=2)
    await migrar(pool, ESQUEMA, servicio.carpeta_sql)
    yield Procesador(ESQUEMA, servicio.reacciones, guardian_ingreso=True), pool
    await pool.close()


def _entrada(reporte, offset: int, valor: bytes | None = None):
    return leer(reporte.topico, 0, offset, reporte.evento.llave, valor if valor is not None else reporte.evento.a_json(),
                [("content-type", CONTENT_TYPE.encode())])


async def _en_outbox(pool, convenio_id: str) -> list[dict]:
    async with pool.acquire() as conn:
        filas = await conn.fetch("SELECT valor FROM outbox WHERE convert_from(valor, 'UTF8') LIKE '%' || $1 || '%'", convenio_id)
    return [json.loads(f["valor"]) for f in filas]


async def test_un_evento_reentregado_no_cambia_nada(convenios):
    procesador, pool = convenios
    reporte = escenario.convenio(unico("reentrega"), date.today())
    convenio_id = reporte.evento.data["convenio_id"]

    assert await procesador.procesar_lote(pool, [_entrada(reporte, 1)]) == 1
    # Kafka lo entrega otra vez (p. ej. tras un rebalanceo): mismo id, ningún efecto.
    assert await procesador.procesar_lote(pool, [_entrada(reporte, 1)]) == 0
    assert await procesador.procesar_lote(pool, [_entrada(reporte, 1), _entrada(reporte, 1)]) == 0
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM convenios WHERE convenio_id = $1", convenio_id) == 1
    assert [e["type"] for e in await _en_outbox(pool, convenio_id)] == ["mx.alva.convenios.convenio.firmado.v1"]


async def test_lo_ilegible_y_lo_invalido_se_rechazan_y_el_lote_sigue(convenios):
    procesador, pool = convenios
    bueno = escenario.convenio(unico("veneno"), date.today())
    sin_objetivos = json.loads(bueno.evento.a_json())
    sin_objetivos["id"] = str(uuid.uuid4())
    sin_objetivos["data"]["objetivos"] = []
    base = uuid.uuid4().int % 10**12  # posiciones nuevas: lo ilegible se recuerda por tópico, partición y offset
    lote = [
        _entrada(bueno, base, b"{esto no es json"),
        _entrada(bueno, base + 1, json.dumps(sin_objetivos).encode()),
        _entrada(bueno, base + 2),
    ]
    assert await procesador.procesar_lote(pool, lote) == 1 + 2 + 1  # rechazo+dlq, rechazo, convenio.firmado

    async with pool.acquire() as conn:
        filas = await conn.fetch(
            "SELECT topico, valor, cabeceras FROM outbox WHERE topico IN ('alva.rechazos', $1) ORDER BY id DESC LIMIT 3",
            bueno.topico + ".dlq")
    rechazos = [EntradaRechazada.model_validate(json.loads(f["valor"])["data"]) for f in filas
                if f["topico"] == "alva.rechazos"]
    por_offset = {r.offset: r for r in rechazos}
    assert por_offset[base].codigo == "json_invalido"
    assert por_offset[base + 1].codigo == "esquema_invalido" and por_offset[base + 1].campo == "data.objetivos"
    assert "objetivos" in por_offset[base + 1].motivo
    dlq = [f for f in filas if f["topico"].endswith(".dlq")]
    assert dlq and dlq[0]["valor"] == b"{esto no es json"
    assert ["alva-error-codigo", "json_invalido"] in json.loads(dlq[0]["cabeceras"])
    # Y el bueno, que venía detrás, se procesó.
    firmados = await _en_outbox(pool, bueno.evento.data["convenio_id"])
    assert "mx.alva.convenios.convenio.firmado.v1" in [e["type"] for e in firmados]


@pytest.fixture
async def capacitacion(infra):
    """Las reacciones de capacitación en un esquema propio."""
    from servicios.capacitacion.app import crear_servicio as crear
    from servicios.capacitacion.config import AjustesCapacitacion

    servicio = crear(AjustesCapacitacion(kafka_bootstrap_servers=infra.kafka, postgres_dsn=infra.postgres_dsn))
    pool = await crear_pool(infra.postgres_dsn, "prueba_pendientes", maximo=2)
    await migrar(pool, "prueba_pendientes", servicio.carpeta_sql)
    yield Procesador("prueba_pendientes", servicio.reacciones), pool
    await pool.close()


async def test_un_reporte_que_espera_a_su_convenio_se_reanuda_o_se_rechaza_al_vencer_el_plazo(capacitacion):
    procesador, pool = capacitacion
    hoy = date.today()
    # Dos corridas: en una el convenio llega; en la otra nunca llega.
    llega, nunca = unico("llega"), unico("nunca")
    sesiones = {corrida: escenario.sesiones(corrida, hoy)[0] for corrida in (llega, nunca)}
    for sesion in sesiones.values():
        assert await procesador.procesar_lote(pool, [_entrada(sesion, uuid.uuid4().int % 10**9)]) == 0

    # Llega el convenio de la primera (como lo publica convenios): la sesión que esperaba se procesa.
    firmado = escenario.convenio(llega, hoy).evento
    canonico = firmado.model_copy(update={
        "type": "mx.alva.convenios.convenio.firmado.v1", "id": uuid.uuid4(), "institucion": escenario.IMSS})
    entrada = leer("alva.convenios", 0, uuid.uuid4().int % 10**9, None, canonico.a_json(), [])
    await procesador.procesar_lote(pool, [entrada])
    async with pool.acquire() as conn:
        reanudada = await conn.fetchval("SELECT estado FROM sesiones WHERE sesion_id = $1", f"IMSS-GTO-{llega}-S1")
        assert reanudada == "completada"
        # La otra sigue esperando; vencido el plazo, se rechaza con el motivo por el que esperaba.
        async with conn.transaction():
            salidas = await procesador.rechazar_vencidos(conn, 0)
    rechazos = {r["data"]["entrada_id"]: r["data"] for r in (json.loads(m.valor) for m in salidas)}
    assert str(sesiones[llega].evento.id) not in rechazos
    nuestro = rechazos[str(sesiones[nunca].evento.id)]
    assert nuestro["codigo"] == "convenio_desconocido"
    assert "no está registrado" in nuestro["motivo"]
