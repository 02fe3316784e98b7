"""El evaluador contra PostgreSQL real: exactamente un distintivo, repetición idéntica, vencimiento, renovación, reglas."""

import asyncio
import itertools
import json
import shutil
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from esquemas import CloudEvent, topico_de
from esquemas.capacitacion import SesionCompletada
from esquemas.comun import Institucion, Objetivo, Vigencia
from esquemas.convenios import ConvenioFirmado, ObjetivoCumplido
from plataforma.bd import crear_pool, migrar
from plataforma.consumo import Contexto, Procesador
from plataforma.nube import leer
from servicios.distintivos import casos_de_uso
from servicios.distintivos.app import crear_servicio
from servicios.distintivos.config import AjustesDistintivos
from servicios.distintivos.emision import Motor
from servicios.distintivos.reglas import CARPETA, cargar
from servicios.distintivos.repositorio import ReglasBloqueadas
from servicios.distintivos.suscriptores import reacciones
from tests.conftest import unico

pytestmark = pytest.mark.integration

_offsets = itertools.count(uuid.uuid4().int % 10**9)
HOY = date.today()


def entrada(datos, institucion: str, cuando: datetime | None = None):
    evento = CloudEvent(source="/alva/pruebas", type=datos.tipo, data=datos.model_dump(mode="json"),
                        institucion=institucion, time=cuando or datetime.now(UTC))
    return leer(topico_de(datos), 0, next(_offsets), evento.llave, evento.a_json(), [])


def historia(cid: str, institucion: str, tema: str = "Prevención del acoso sexual laboral") -> list:
    """Lo que publican convenios y capacitación para un convenio que cumple su único objetivo."""
    cuando = datetime(HOY.year, HOY.month, HOY.day, 12, tzinfo=UTC)
    objetivo = Objetivo(objetivo_id="personas", descripcion="Capacitar a 2 personas", indicador="personas_capacitadas",
                        meta=2)
    return [
        entrada(ConvenioFirmado(
            convenio_id=cid, programa="ALVA", otorgante="prodheg",
            institucion=Institucion(id=institucion, nombre="Municipio de Pénjamo", tipo="municipio"),
            firmantes=[], fecha_firma=HOY - timedelta(days=10),
            vigencia=Vigencia(inicio=HOY - timedelta(days=10), fin=HOY + timedelta(days=300)),
            objetivos=[objetivo]), institucion, cuando),
        entrada(SesionCompletada(sesion_id=f"{cid}-S1", convenio_id=cid, institucion=institucion, tema=tema,
                                 modalidad="presencial", fecha=HOY, horas=2, facilitador="IMUG",
                                 asistentes=["p-1", "p-2"]), institucion, cuando),
        entrada(ObjetivoCumplido(convenio_id=cid, objetivo_id="personas", indicador="personas_capacitadas", valor=2,
                                 meta=2, fecha=HOY), institucion, cuando),
    ]


@pytest.fixture
async def esquema(infra, tmp_path):
    """Un esquema nuevo del evaluador, con claves propias, que se borra al final."""
    nombre = f"prueba_{unico('dist').replace('-', '_')}"
    ajustes = AjustesDistintivos(kafka_bootstrap_servers=infra.kafka, postgres_dsn=infra.postgres_dsn,
                                 carpeta_claves=tmp_path / "claves")
    pool = await crear_pool(infra.postgres_dsn, nombre, maximo=4)
    await migrar(pool, nombre, crear_servicio(ajustes).carpeta_sql)
    yield nombre, pool, Motor(cargar(), tmp_path / "claves")
    async with pool.acquire() as conn:
        await conn.execute(f'DROP SCHEMA "{nombre}" CASCADE')
    await pool.close()


async def salidas(pool, tipo: str) -> list[dict]:
    async with pool.acquire() as conn:
        filas = await conn.fetch("SELECT valor FROM outbox ORDER BY id")
    return [e for e in (json.loads(f["valor"]) for f in filas) if e["type"].endswith(tipo)]


async def test_dos_evaluadores_a_la_vez_otorgan_un_solo_distintivo(esquema):
    nombre, pool, motor = esquema
    convenio, sesion, cumplido = historia(unico("C"), "penjamo")
    uno, otro = (Procesador(nombre, reacciones(motor)) for _ in range(2))
    await uno.procesar_lote(pool, [convenio])
    # Cada instancia recibe un evento distinto que, solo, completa los requisitos; corren a la vez.
    await asyncio.gather(uno.procesar_lote(pool, [cumplido]), otro.procesar_lote(pool, [sesion]))
    await asyncio.gather(uno.procesar_lote(pool, [cumplido, sesion]), otro.procesar_lote(pool, [sesion, cumplido]))
    assert len(await salidas(pool, "distintivo.otorgado.v1")) == 1
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM distintivos") == 1


async def test_repetir_los_topicos_desde_el_inicio_da_los_mismos_distintivos(infra, esquema, tmp_path):
    nombre, pool, motor = esquema
    eventos = historia(unico("C"), "penjamo") + historia(unico("C"), "imss-guanajuato")
    await Procesador(nombre, reacciones(motor)).procesar_lote(pool, eventos)
    # Una reconstrucción: otro esquema vacío, los mismos eventos en el mismo orden.
    otro = f"{nombre}_r"
    pool2 = await crear_pool(infra.postgres_dsn, otro, maximo=2)
    try:
        await migrar(pool2, otro, crear_servicio(AjustesDistintivos()).carpeta_sql)
        await Procesador(otro, reacciones(motor)).procesar_lote(pool2, eventos)
        consulta = ("SELECT distintivo_id, convenio_id, fecha, vigencia_inicio, vigencia_fin, indice_estado, credencial,"
                    " estado FROM distintivos ORDER BY distintivo_id")
        async with pool.acquire() as a, pool2.acquire() as b:
            originales, reconstruidos = await a.fetch(consulta), await b.fetch(consulta)
        assert len(originales) == 2
        assert [dict(f) for f in originales] == [dict(f) for f in reconstruidos]
    finally:
        async with pool2.acquire() as conn:
            await conn.execute(f'DROP SCHEMA "{otro}" CASCADE')
        await pool2.close()


async def test_un_distintivo_vence_solo_y_uno_nuevo_renueva_al_anterior(esquema):
    nombre, pool, motor = esquema
    procesador = Procesador(nombre, reacciones(motor))
    await procesador.procesar_lote(pool, historia(unico("C"), "penjamo"))
    async with pool.acquire() as conn:
        primero = await conn.fetchrow("SELECT distintivo_id, vigencia_fin FROM distintivos")
        # Pasa el tiempo: nadie envía nada; la tarea por tiempo lo vence el día siguiente a su vigencia.
        async with conn.transaction():
            ctx = Contexto(conn, nombre, None)
            await casos_de_uso.vencer_distintivos(ctx, hoy=primero["vigencia_fin"] + timedelta(days=1))
    vencidos = [json.loads(m.valor) for m in ctx.salidas]
    assert [v["data"]["distintivo_id"] for v in vencidos] == [primero["distintivo_id"]]
    assert vencidos[0]["type"] == "mx.alva.distintivos.distintivo.vencido.v1"
    # Un convenio nuevo de la misma institución: el distintivo nuevo renueva al anterior.
    await procesador.procesar_lote(pool, historia(unico("C"), "penjamo"))
    renovado = (await salidas(pool, "distintivo.renovado.v1"))[-1]["data"]
    assert renovado["anterior_id"] == primero["distintivo_id"]
    otorgados = await salidas(pool, "distintivo.otorgado.v1")
    assert otorgados[-1]["data"]["anterior_id"] == primero["distintivo_id"]


async def test_las_reglas_que_otorgaron_no_cambian_y_una_version_nueva_se_aplica_a_lo_ya_visto(esquema, tmp_path):
    nombre, pool, motor = esquema
    # Una historia cuyas sesiones no tocan el tema obligatorio de ALVA v1: no hay distintivo.
    sin_tema = historia(unico("C"), "penjamo", tema="Herramientas para la Igualdad")
    await Procesador(nombre, reacciones(motor)).procesar_lote(pool, sin_tema + historia(unico("C"), "penjamo"))
    assert len(await salidas(pool, "distintivo.otorgado.v1")) == 1  # sólo la otra historia

    # v1 ya otorgó: cambiarla se rechaza.
    reglas = tmp_path / "reglas" / "ALVA"
    shutil.copytree(CARPETA / "ALVA", reglas)
    v1 = (reglas / "v1.toml").read_text(encoding="utf-8")
    (reglas / "v1.toml").write_text(v1.replace("minimo = 0.3", "minimo = 0.5"), encoding="utf-8")
    async with pool.acquire() as conn, conn.transaction():
        with pytest.raises(ReglasBloqueadas, match="v2.toml"):
            await casos_de_uso.reevaluar_todo(Contexto(conn, nombre, None), Motor(cargar(reglas.parent), motor.carpeta_claves))

    # v2 sin el tema obligatorio: se evalúa contra lo ya visto, sin reenviar nada, y otorga.
    (reglas / "v1.toml").write_text(v1, encoding="utf-8")
    v2 = v1.replace("version = 1", "version = 2").replace(
        '  { nombre = "Al menos una sesión sobre prevención', '  # { nombre = "Al menos una sesión sobre prevención')
    (reglas / "v2.toml").write_text(v2, encoding="utf-8")
    async with pool.acquire() as conn, conn.transaction():
        ctx = Contexto(conn, nombre, None)
        await casos_de_uso.reevaluar_todo(ctx, Motor(cargar(reglas.parent), motor.carpeta_claves))
    nuevos = [json.loads(m.valor) for m in ctx.salidas if b"distintivo.otorgado" in m.valor]
    assert [n["data"]["convenio_id"] for n in nuevos] == [sin_tema[0].evento.data["convenio_id"]]
    assert nuevos[0]["data"]["reglas_version"] == 2
