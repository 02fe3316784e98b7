"""El consumo por lotes contra PostgreSQL real: reentregas sin efecto, una respuesta por entrada (también para lo
hostil), ids reusados, reportes que esperan, venenos aislados partiendo el lote, y reenvíos que se creen o no."""

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

import orjson
import pytest

from alva import escenario
from esquemas import CONTENT_TYPE
from esquemas.control import InstitucionDadaDeAlta
from esquemas.ingreso import ReporteSesionCompletada
from esquemas.rechazos import TOPICO_REENVIOS
from plataforma.bd import crear_pool, migrar
from plataforma.consumo import Lote, Procesador
from plataforma.nube import LIMITE_BYTES, Entrada, armar, leer, mensaje
from servicios.capacitacion.app import crear_servicio as crear_capacitacion
from servicios.capacitacion.repositorio import PostgresCapacitacion
from servicios.convenios.app import crear_servicio as crear_convenios
from servicios.convenios.config import AjustesConvenios
from servicios.convenios.repositorio import PostgresConvenios
from tests.conftest import unico

pytestmark = pytest.mark.integration

CABECERAS = [("content-type", CONTENT_TYPE.encode())]


def _offset() -> int:
    return uuid.uuid4().int % 10**12  # posiciones nuevas: lo ilegible se recuerda por tópico, partición y offset


def entrada(reporte: escenario.Reporte, valor: bytes | None = None, offset: int | None = None) -> Entrada:
    return leer(reporte.topico, 0, _offset() if offset is None else offset, datetime.now(UTC), reporte.evento.llave,
                reporte.evento.a_json() if valor is None else valor, CABECERAS)


async def esquema_de(infra, nombre: str, carpeta_sql, instituciones=()):
    pool = await crear_pool(infra.postgres_dsn, nombre, maximo=2)
    await migrar(pool, nombre, carpeta_sql)
    async with pool.acquire() as conn:  # dadas de alta, como si ya hubiera llegado su alva.control
        await conn.executemany("INSERT INTO instituciones VALUES ($1) ON CONFLICT DO NOTHING",
                               [(i,) for i in instituciones])
    return pool


@pytest.fixture
async def convenios(infra):
    """Las reacciones del servicio de convenios (el guardián de los ingresos) en un esquema propio, sin relay."""
    nombre = f"prueba_consumo_{unico('c').replace('-', '_')}"
    servicio = crear_convenios(AjustesConvenios(kafka_bootstrap_servers=infra.kafka, postgres_dsn=infra.postgres_dsn))
    pool = await esquema_de(infra, nombre, servicio.carpeta_sql, (escenario.OTORGANTE, escenario.IMSS))
    yield Procesador(nombre, servicio.reacciones, PostgresConvenios, guardian_ingreso=True), pool
    async with pool.acquire() as conn:
        await conn.execute(f'DROP SCHEMA "{nombre}" CASCADE')
    await pool.close()


@pytest.fixture
async def capacitacion(infra):
    nombre = f"prueba_pendientes_{unico('p').replace('-', '_')}"
    servicio = crear_capacitacion()
    pool = await esquema_de(infra, nombre, servicio.carpeta_sql, (escenario.IMSS,))
    yield Procesador(nombre, servicio.reacciones, PostgresCapacitacion), pool
    async with pool.acquire() as conn:
        await conn.execute(f'DROP SCHEMA "{nombre}" CASCADE')
    await pool.close()


async def outbox(pool, topico: str | None = None) -> list[tuple[str, dict | bytes, dict]]:
    async with pool.acquire() as conn:
        filas = await conn.fetch("SELECT topico, valor, cabeceras::text AS cabeceras FROM outbox "
                                 "WHERE $1::text IS NULL OR topico = $1 ORDER BY lote, orden", topico)
    salida = []
    for f in filas:
        cabeceras = dict(orjson.loads(f["cabeceras"]))
        valor = orjson.loads(f["valor"]) if not f["topico"].endswith(".dlq") else f["valor"]
        salida.append((f["topico"], valor, cabeceras))
    return salida


def rechazos(filas) -> list[dict]:
    return [v["data"] for t, v, _ in filas if t == "alva.rechazos"]


def respuestas(filas) -> list[dict]:
    return [v["data"] for t, v, _ in filas if t.startswith("alva.respuestas.")]


async def test_un_evento_reentregado_no_cambia_nada_y_el_reporte_recibe_su_desenlace(convenios):
    procesador, pool = convenios
    reporte = escenario.convenio(unico("reentrega"), date.today())
    convenio_id = reporte.evento.data["convenio_id"]

    await procesador.procesar_lote(pool, [entrada(reporte, offset=1)])
    # Kafka lo entrega otra vez (p. ej. tras un rebalanceo): mismo id, ningún efecto nuevo.
    await procesador.procesar_lote(pool, [entrada(reporte, offset=1)])
    await procesador.procesar_lote(pool, [entrada(reporte, offset=1), entrada(reporte, offset=1)])
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM convenios WHERE convenio_id = $1", convenio_id) == 1
    filas = await outbox(pool)
    assert [v["type"] for t, v, _ in filas if t == "alva.convenios"] == ["mx.alva.convenios.convenio.firmado.v1"]
    # Al otorgante: un desenlace aceptado con el hecho que produjo; cada reenvío, el mismo desenlace, marcado.
    primera, *repetidas = respuestas(filas)
    assert primera["aceptado"] and primera["entrada_id"] == reporte.evento.id and not primera["repetido"]
    assert [h["type"] for h in primera["hechos"]] == ["mx.alva.convenios.convenio.firmado.v1"]
    assert repetidas and all(r["repetido"] and r["hechos"] == primera["hechos"] for r in repetidas)
    assert rechazos(filas) == []


async def test_dos_instancias_con_el_mismo_lote_a_la_vez_lo_procesan_una_vez(convenios, monkeypatch):
    # Durante un reparto de particiones, dos instancias leen el mismo reporte y deciden a la vez: ninguna lo vio en
    # el inbox. La primera en anotarlo gana; la otra choca al anotarlo, reintenta su lote y ya lo ve procesado.
    procesador, pool = convenios
    reporte = escenario.convenio(unico("a-la-vez"), date.today())
    llegadas, juntas = [], asyncio.Event()
    anotar = Lote._anotar

    async def anotar_juntas(self):
        if self.p is not procesador:  # los servicios de las pruebas e2e siguen en marcha en este mismo proceso
            return await anotar(self)
        llegadas.append(self)
        if len(llegadas) == 2:
            juntas.set()
        if len(llegadas) <= 2:  # los dos primeros intentos esperan a estar ambos decididos
            await asyncio.wait_for(juntas.wait(), 10)
        await anotar(self)

    monkeypatch.setattr(Lote, "_anotar", anotar_juntas)
    await asyncio.gather(procesador.procesar_lote(pool, [entrada(reporte, offset=7)]),
                         procesador.procesar_lote(pool, [entrada(reporte, offset=7)]))

    assert len(llegadas) == 3  # los dos a la vez y el reintento del que chocó
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM convenios WHERE convenio_id = $1",
                                   reporte.evento.data["convenio_id"]) == 1
    filas = await outbox(pool)
    assert [v["type"] for t, v, _ in filas if t == "alva.convenios"] == ["mx.alva.convenios.convenio.firmado.v1"]
    assert sorted(r["repetido"] for r in respuestas(filas)) == [False, True]


async def test_cada_entrada_hostil_recibe_un_solo_rechazo_y_lo_bueno_pasa(convenios):
    procesador, pool = convenios
    bueno = escenario.convenio(unico("bueno"), date.today())
    crudo = orjson.loads(bueno.evento.a_json())

    def con(**cambios) -> bytes:
        return orjson.dumps({**crudo, "id": str(uuid.uuid4()), **cambios})

    sin_id = {k: v for k, v in crudo.items() if k != "id"}
    hostiles = {
        "json_invalido": b"{esto no es json",
        "texto_invalido": b'{"a": "\\ud800"}',
        "profundidad_excesiva": b"[" * 50_000 + b"]" * 50_000,
        "sobre_invalido": orjson.dumps(sin_id),
        "tipo_desconocido": con(type="mx.alva.ingreso.medalla.v1"),
        "tipo_fuera_de_lugar": con(type="mx.alva.distintivos.distintivo.otorgado.v1"),
        "institucion_ajena": con(institucion=escenario.IMSS),
        "esquema_invalido": con(data={**crudo["data"], "objetivos": []}),
    }
    lote = [entrada(bueno, valor) for valor in hostiles.values()] + [entrada(bueno)]
    await procesador.procesar_lote(pool, lote)
    # Otra vez el mismo lote (una reentrega): nada se rechaza dos veces.
    await procesador.procesar_lote(pool, lote)

    filas = await outbox(pool)
    por_offset = {r["offset"]: r for r in rechazos(filas)}
    assert len(rechazos(filas)) == len(hostiles)
    assert [por_offset[e.offset]["codigo"] for e in lote[:-1]] == list(hostiles)
    # Lo ilegible va crudo a la DLQ de su tópico, con el porqué en cabeceras.
    dlq = [(v, c) for t, v, c in filas if t == f"{bueno.topico}.dlq"]
    assert [c["alva-error-codigo"] for _, c in dlq] == ["json_invalido", "texto_invalido", "profundidad_excesiva",
                                                        "sobre_invalido"]
    assert dlq[0][0] == b"{esto no es json"
    # El bueno, que venía detrás, se procesó; y cada reporte tuvo un desenlace para quien lo envió.
    assert "mx.alva.convenios.convenio.firmado.v1" in [v["type"] for t, v, _ in filas if t == "alva.convenios"]
    assert sorted(r["aceptado"] for r in respuestas(filas) if not r["repetido"]) == [False] * len(hostiles) + [True]


async def test_un_id_reusado_con_otro_contenido_se_rechaza(convenios):
    procesador, pool = convenios
    primero = escenario.convenio(unico("uno"), date.today())
    otro = escenario.convenio(unico("otro"), date.today())
    reusado = replace(otro, evento=otro.evento.model_copy(update={"id": primero.evento.id}))
    await procesador.procesar_lote(pool, [entrada(primero)])
    await procesador.procesar_lote(pool, [entrada(reusado)])
    [r] = rechazos(await outbox(pool))
    assert r["codigo"] == "id_reutilizado" and r["entrada_id"] == primero.evento.id and r["campo"] == "id"
    async with pool.acquire() as conn:  # el segundo convenio no se registró
        assert await conn.fetchval("SELECT count(*) FROM convenios WHERE convenio_id = $1",
                                   otro.evento.data["convenio_id"]) == 0


async def test_un_veneno_que_tumba_la_escritura_se_aisla_partiendo_el_lote(infra, convenios, monkeypatch):
    procesador, pool = convenios
    buenos = [escenario.convenio(unico(f"b{i}"), date.today()) for i in range(5)]
    veneno = escenario.convenio(unico("VENENO"), date.today())
    original = PostgresConvenios.confirmar

    async def confirmar(repo):
        if any("VENENO" in c.convenio_id for c in repo.tablas["convenios"].filas.values()):
            raise ValueError("una fila que PostgreSQL no acepta")
        await original(repo)

    monkeypatch.setattr(PostgresConvenios, "confirmar", confirmar)
    lote = [entrada(b) for b in buenos[:3]] + [entrada(veneno)] + [entrada(b) for b in buenos[3:]]
    await procesador.procesar_lote(pool, lote)
    filas = await outbox(pool)
    registrados = {v["data"]["convenio_id"] for t, v, _ in filas if t == "alva.convenios"}
    assert registrados == {b.evento.data["convenio_id"] for b in buenos}  # los demás siguieron
    [r] = rechazos(filas)
    assert r["codigo"] == "error_interno" and r["entrada_id"] == veneno.evento.id
    assert [c["alva-error-codigo"] for t, _, c in filas if t.endswith(".dlq")] == ["error_interno"]


async def test_un_reporte_que_espera_a_su_convenio_se_reanuda_o_se_rechaza_al_vencer_el_plazo(capacitacion):
    procesador, pool = capacitacion
    hoy = date.today()
    llega, nunca, mismo_lote = unico("llega"), unico("nunca"), unico("mismo")
    sesiones = {corrida: escenario.sesiones(corrida, hoy)[0] for corrida in (llega, nunca, mismo_lote)}
    await procesador.procesar_lote(pool, [entrada(sesiones[llega]), entrada(sesiones[nunca])])

    def firmado(corrida):  # como lo publica convenios en alva.convenios
        datos = escenario.convenio(corrida, hoy).evento.data
        m = mensaje("alva.convenios", armar("mx.alva.convenios.convenio.firmado.v1", {**datos, "version": 1},
                                            id_=str(uuid.uuid4()), institucion=escenario.IMSS, servicio="convenios",
                                            cuando=datetime.now(UTC)))
        return leer(m.topico, 0, _offset(), datetime.now(UTC), m.llave, m.valor, m.cabeceras)

    # Llega el convenio de la primera: la sesión que esperaba se procesa. En el mismo lote, una sesión que
    # llega antes que su convenio (por otro tópico) también.
    await procesador.procesar_lote(pool, [firmado(llega), entrada(sesiones[mismo_lote]), firmado(mismo_lote)])
    async with pool.acquire() as conn:
        estados = {f["sesion_id"]: f["estado"] for f in await conn.fetch("SELECT sesion_id, estado FROM sesiones")}
        assert estados == {f"IMSS-GTO-{llega}-S1": "completada", f"IMSS-GTO-{mismo_lote}-S1": "completada"}
        # La otra sigue esperando; vencido el plazo, se rechaza con el motivo por el que esperaba.
        async with conn.transaction():
            salidas = await procesador.rechazar_vencidos(conn, 0)
    desenlaces = [orjson.loads(m.valor)["data"] for m in salidas]
    [r] = [d for d in desenlaces if "codigo" in d and "aceptado" not in d]
    assert r["entrada_id"] == sesiones[nunca].evento.id and r["codigo"] == "convenio_desconocido"
    assert "no está registrado" in r["motivo"]
    [respuesta] = [d for d in desenlaces if "aceptado" in d]
    assert not respuesta["aceptado"] and respuesta["codigo"] == "convenio_desconocido"


async def test_lo_de_una_institucion_no_dada_de_alta_espera_a_su_alta(capacitacion):
    procesador, pool = capacitacion
    nueva = unico("nueva")
    datos = escenario.sesiones(unico("x"), date.today())[0].evento.data
    reporte = escenario.reporte(nueva, ReporteSesionCompletada(**datos))
    await procesador.procesar_lote(pool, [entrada(reporte)])
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT clave FROM pendientes") == f"institucion:{nueva}"
    alta = mensaje("alva.control", armar(InstitucionDadaDeAlta.tipo, {"institucion": nueva,
                                                                       "topico": f"alva.ingreso.{nueva}"},
                                         id_=str(uuid.uuid4()), institucion=nueva, servicio="alta",
                                         cuando=datetime.now(UTC)))
    hecho = await procesador.procesar_lote(pool, [leer(alta.topico, 0, _offset(), datetime.now(UTC), alta.llave,
                                                       alta.valor, alta.cabeceras)])
    assert hecho.altas == [nueva]
    async with pool.acquire() as conn:  # ya es de una institución dada de alta: ahora espera a su convenio
        assert await conn.fetchval("SELECT clave FROM pendientes") == f"convenio:{reporte.evento.data['convenio_id']}"


async def test_una_copia_a_la_dlq_siempre_cabe_en_el_broker(convenios):
    procesador, pool = convenios
    reporte = escenario.convenio(unico("grande"), date.today())
    enorme = b"x" * (LIMITE_BYTES + 40_000)
    await procesador.procesar_lote(pool, [entrada(reporte, enorme)])
    [(valor, cabeceras)] = [(v, c) for t, v, c in await outbox(pool) if t.endswith(".dlq")]
    assert cabeceras["alva-error-codigo"] == "demasiado_grande" and cabeceras["alva-truncado"] == "true"
    assert cabeceras["alva-tamano-original"] == str(len(enorme)) and len(cabeceras["alva-sha256"]) == 64
    assert len(valor) + sum(len(k) + len(v) for k, v in cabeceras.items()) <= LIMITE_BYTES


async def test_un_reenvio_desde_la_dlq_se_cree_solo_si_son_los_bytes_que_el_servicio_aparto(convenios):
    procesador, pool = convenios
    reporte = escenario.convenio(unico("reenvio"), date.today())
    crudo = orjson.loads(reporte.evento.a_json())
    roto = orjson.dumps({**crudo, "data": {**crudo["data"], "objetivos": []}})[:-1]  # ilegible: va a la DLQ
    await procesador.procesar_lote(pool, [entrada(reporte, roto)])
    [(copia, cabeceras)] = [(v, c) for t, v, c in await outbox(pool) if t.endswith(".dlq")]

    def reenvio(valor: bytes, servicio: str) -> Entrada:
        propias = {**cabeceras, "alva-servicio": servicio}
        return leer(TOPICO_REENVIOS, 0, _offset(), datetime.now(UTC), b"x", valor,
                    [(k, v.encode()) for k, v in propias.items()])

    # Lo que este servicio apartó se cree (y se vuelve a leer: sigue ilegible, ya respondido); lo inventado, no.
    await procesador.procesar_lote(pool, [reenvio(copia, procesador.servicio), reenvio(b'{"otro": 1}',
                                                                                     procesador.servicio)])
    codigos = [r["codigo"] for r in rechazos(await outbox(pool))]
    assert codigos == ["json_invalido", "reenvio_desconocido"]
    # Un reenvío dirigido a otro servicio ni se mira.
    await procesador.procesar_lote(pool, [reenvio(b'{"x": 1}', "capacitacion")])
    assert len(rechazos(await outbox(pool))) == 2
