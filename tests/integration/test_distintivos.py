"""El evaluador contra PostgreSQL real: exactamente un distintivo, repetición idéntica, vencimiento, renovación,
reglas que se bloquean al otorgar y una credencial que dice lo logrado al otorgarse."""

import asyncio
import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest

from esquemas.capacitacion import SesionCompletada
from esquemas.catalogo import topico_de
from esquemas.comun import Institucion, Objetivo, Vigencia
from esquemas.convenios import ConvenioFirmado, ObjetivoAvanzado, ObjetivoCumplido
from plataforma.bd import crear_pool, migrar
from plataforma.consumo import Procesador
from plataforma.contexto import Contexto
from plataforma.nube import armar, leer, mensaje
from servicios.distintivos import casos_de_uso
from servicios.distintivos.app import crear_servicio
from servicios.distintivos.config import AjustesDistintivos
from servicios.distintivos.emision import Motor
from servicios.distintivos.reglas import cargar
from servicios.distintivos.repositorio import PostgresDistintivos, ReglasBloqueadas
from servicios.distintivos.suscriptores import reacciones
from tests.conftest import unico

pytestmark = pytest.mark.integration

_offsets = itertools.count(uuid.uuid4().int % 10**9)
HOY = date.today()
MEDIODIA = datetime(HOY.year, HOY.month, HOY.day, 12, tzinfo=UTC)
V1_CON_TEMA = """programa = "ALVA"
version = 1
nombre = "Distintivo ALVA"
otorgante = "prodheg"
otorgante_nombre = "PRODHEG"
[requisito]
todos = [
  { objetivos = "todos" },
  { nombre = "Una sesión sobre acoso", sesiones = { temas = ["acoso"] }, minimo = 1 },
]
"""


def entrada(datos, institucion: str, cuando: datetime = MEDIODIA):
    """Un hecho tal como lo publica su servicio, leído como lo lee el evaluador."""
    m = mensaje(topico_de(datos), armar(datos.tipo, datos.model_dump(mode="json"), id_=str(uuid.uuid4()),
                                        institucion=institucion, servicio="pruebas", cuando=cuando))
    return leer(m.topico, 0, next(_offsets), cuando, m.llave, m.valor, m.cabeceras)


def historia(cid: str, institucion: str, tema: str = "Prevención del acoso sexual laboral") -> list:
    """Lo que publican convenios y capacitación para un convenio que cumple su único objetivo."""
    objetivo = Objetivo(objetivo_id="personas", descripcion="Capacitar a 2 personas", indicador="personas_capacitadas",
                        meta=2)
    return [
        entrada(ConvenioFirmado(
            convenio_id=cid, programa="ALVA", otorgante="prodheg",
            institucion=Institucion(id=institucion, nombre="Municipio de Pénjamo", tipo="municipio"),
            firmantes=[], fecha_firma=HOY - timedelta(days=10),
            vigencia=Vigencia(inicio=HOY - timedelta(days=10), fin=HOY + timedelta(days=300)),
            objetivos=[objetivo]), institucion),
        entrada(SesionCompletada(sesion_id=f"{cid}-S1", convenio_id=cid, institucion=institucion, tema=tema,
                                 modalidad="presencial", fecha=HOY, horas=2, facilitador="IMUG",
                                 asistentes=["p-1", "p-2"]), institucion),
        entrada(ObjetivoCumplido(convenio_id=cid, objetivo_id="personas", indicador="personas_capacitadas", valor=2,
                                 meta=2, fecha=HOY), institucion),
    ]


@pytest.fixture
async def esquema(infra, tmp_path):
    """Un esquema nuevo del evaluador, con claves propias, que se borra al final."""
    nombre = f"prueba_{unico('dist').replace('-', '_')}"
    pool = await crear_pool(infra.postgres_dsn, nombre, maximo=4)
    await migrar(pool, nombre, crear_servicio(AjustesDistintivos()).carpeta_sql)
    motor = Motor(cargar(), "https://alva.prodheg.example")
    motor.cargar_claves(tmp_path / "claves", crear=True)
    yield nombre, pool, motor
    async with pool.acquire() as conn:
        await conn.execute(f'DROP SCHEMA "{nombre}" CASCADE')
    await pool.close()


def procesador(nombre: str, motor: Motor) -> Procesador:
    return Procesador(nombre, reacciones(motor), PostgresDistintivos)


async def salidas(pool, tipo: str) -> list[dict]:
    async with pool.acquire() as conn:
        filas = await conn.fetch("SELECT valor FROM outbox ORDER BY lote, orden")
    return [e for e in (orjson.loads(f["valor"]) for f in filas) if e["type"].endswith(tipo)]


async def tarea(pool, nombre: str, funcion, ahora: datetime) -> Contexto:
    """Una transición por tiempo, a la hora dada, como la corre el servicio."""
    async with pool.acquire() as conn, conn.transaction():
        ctx = Contexto(PostgresDistintivos(conn), nombre, None, ahora, tarea="prueba")
        await funcion(ctx)
        await ctx.repo.confirmar()
    return ctx


async def test_dos_evaluadores_a_la_vez_otorgan_un_solo_distintivo(esquema):
    nombre, pool, motor = esquema
    convenio, sesion, cumplido = historia(unico("C"), "penjamo")
    uno, otro = procesador(nombre, motor), procesador(nombre, motor)
    await uno.procesar_lote(pool, [convenio])
    # Cada instancia recibe un evento distinto que, solo, completa los requisitos; corren a la vez.
    await asyncio.gather(uno.procesar_lote(pool, [cumplido]), otro.procesar_lote(pool, [sesion]))
    await asyncio.gather(uno.procesar_lote(pool, [cumplido, sesion]), otro.procesar_lote(pool, [sesion, cumplido]))
    assert len(await salidas(pool, "distintivo.otorgado.v1")) == 1
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM distintivos") == 1


async def test_repetir_los_topicos_desde_el_inicio_da_los_mismos_distintivos(infra, esquema):
    nombre, pool, motor = esquema
    eventos = historia(unico("C"), "penjamo") + historia(unico("C"), "imss-guanajuato")
    await procesador(nombre, motor).procesar_lote(pool, eventos)
    # Una reconstrucción: otro esquema vacío, los mismos eventos en el mismo orden.
    otro = f"{nombre}_r"
    pool2 = await crear_pool(infra.postgres_dsn, otro, maximo=2)
    try:
        await migrar(pool2, otro, crear_servicio(AjustesDistintivos()).carpeta_sql)
        await procesador(otro, motor).procesar_lote(pool2, eventos)
        consulta = ("SELECT distintivo_id, convenio_id, fecha, vigencia_inicio, vigencia_fin, indice_estado, credencial,"
                    " estado FROM distintivos ORDER BY distintivo_id")
        async with pool.acquire() as a, pool2.acquire() as b:
            originales, reconstruidos = await a.fetch(consulta), await b.fetch(consulta)
            ids = "SELECT valor FROM outbox ORDER BY lote, orden"
            assert [orjson.loads(f["valor"])["id"] for f in await a.fetch(ids)] == \
                   [orjson.loads(f["valor"])["id"] for f in await b.fetch(ids)]  # los mismos hechos, los mismos ids
        assert len(originales) == 2
        assert [dict(f) for f in originales] == [dict(f) for f in reconstruidos]
    finally:
        async with pool2.acquire() as conn:
            await conn.execute(f'DROP SCHEMA "{otro}" CASCADE')
        await pool2.close()


async def test_un_distintivo_vence_solo_y_uno_nuevo_renueva_al_anterior(esquema):
    nombre, pool, motor = esquema
    await procesador(nombre, motor).procesar_lote(pool, historia(unico("C"), "penjamo"))
    async with pool.acquire() as conn:
        primero = await conn.fetchrow("SELECT distintivo_id, vigencia_fin FROM distintivos")
    # Pasa el tiempo: nadie envía nada; la tarea por tiempo lo vence el día siguiente a su vigencia.
    ctx = await tarea(pool, nombre, casos_de_uso.vencer_distintivos,
                      datetime.combine(primero["vigencia_fin"] + timedelta(days=1), datetime.min.time(), UTC))
    vencidos = [orjson.loads(m.valor) for m in ctx.salidas]
    assert [v["data"]["distintivo_id"] for v in vencidos] == [primero["distintivo_id"]]
    assert vencidos[0]["type"] == "mx.alva.distintivos.distintivo.vencido.v1"
    # Un convenio nuevo de la misma institución: el distintivo nuevo renueva al anterior.
    await procesador(nombre, motor).procesar_lote(pool, historia(unico("C"), "penjamo"))
    renovado = (await salidas(pool, "distintivo.renovado.v1"))[-1]["data"]
    assert renovado["anterior_id"] == primero["distintivo_id"]
    otorgados = await salidas(pool, "distintivo.otorgado.v1")
    assert otorgados[-1]["data"]["anterior_id"] == primero["distintivo_id"]


async def test_las_reglas_que_otorgaron_no_cambian_y_una_version_nueva_se_aplica_a_lo_ya_visto(esquema, tmp_path):
    nombre, pool, motor = esquema
    reglas = tmp_path / "reglas" / "ALVA"
    reglas.mkdir(parents=True)
    (reglas / "v1.toml").write_text(V1_CON_TEMA, encoding="utf-8")
    con_tema = Motor(cargar(reglas.parent), motor.url_publica, motor.claves)
    # Una historia cuyas sesiones no tocan el tema que pide esta v1: no hay distintivo.
    sin_tema = historia(unico("C"), "penjamo", tema="Herramientas para la Igualdad")
    await procesador(nombre, con_tema).procesar_lote(pool, sin_tema + historia(unico("C"), "penjamo"))
    assert len(await salidas(pool, "distintivo.otorgado.v1")) == 1  # sólo la otra historia

    # v1 ya otorgó: cambiarla se rechaza.
    (reglas / "v1.toml").write_text(V1_CON_TEMA.replace("minimo = 1", "minimo = 2"), encoding="utf-8")
    cambiada = Motor(cargar(reglas.parent), motor.url_publica, motor.claves)
    with pytest.raises(ReglasBloqueadas, match="v2.toml"):
        await tarea(pool, nombre, lambda ctx: casos_de_uso.reevaluar_todo(ctx, cambiada), MEDIODIA)

    # v2 sin el tema: se evalúa contra lo ya visto, sin reenviar nada, y otorga.
    (reglas / "v1.toml").write_text(V1_CON_TEMA, encoding="utf-8")
    (reglas / "v2.toml").write_text(V1_CON_TEMA.replace("version = 1", "version = 2").replace(
        '  { nombre = "Una sesión sobre acoso"', '  # { nombre = "Una sesión sobre acoso"'), encoding="utf-8")
    nueva = Motor(cargar(reglas.parent), motor.url_publica, motor.claves)
    ctx = await tarea(pool, nombre, lambda ctx: casos_de_uso.reevaluar_todo(ctx, nueva), MEDIODIA)
    nuevos = [orjson.loads(m.valor) for m in ctx.salidas if b"distintivo.otorgado" in m.valor]
    assert [n["data"]["convenio_id"] for n in nuevos] == [sin_tema[0].evento.data["convenio_id"]]
    assert nuevos[0]["data"]["reglas_version"] == 2


async def test_la_credencial_dice_lo_logrado_al_otorgarse(esquema):
    # Dos objetivos: el primero se cumple pronto (405 de 400) y sigue subiendo (428) antes de que se cumpla el
    # segundo; el distintivo, su evento y su credencial dicen 428, no 405.
    nombre, pool, motor = esquema
    cid, inst = unico("C"), "penjamo"
    objetivos = [Objetivo(objetivo_id="personas", descripcion="Capacitar a 400 servidores públicos",
                          indicador="personas_capacitadas", meta=400),
                 Objetivo(objetivo_id="asesorias", descripcion="Brindar 700 asesorías", indicador="asesorias_brindadas",
                          meta=700)]
    firmado = ConvenioFirmado(convenio_id=cid, programa="ALVA", otorgante="prodheg",
                              institucion=Institucion(id=inst, nombre="Municipio de Pénjamo", tipo="municipio"),
                              firmantes=[], fecha_firma=HOY - timedelta(days=30),
                              vigencia=Vigencia(inicio=HOY - timedelta(days=30), fin=HOY + timedelta(days=300)),
                              objetivos=objetivos)

    def avance(objetivo, valor, meta, cumplido):
        return ObjetivoAvanzado(convenio_id=cid, objetivo_id=objetivo, indicador=objetivos[0].indicador
                                if objetivo == "personas" else objetivos[1].indicador, valor=valor, meta=meta,
                                cumplido=cumplido)

    lote = [entrada(firmado, inst), entrada(avance("personas", 405, 400, True), inst),
            entrada(ObjetivoCumplido(convenio_id=cid, objetivo_id="personas", indicador="personas_capacitadas",
                                     valor=405, meta=400, fecha=HOY), inst),
            entrada(avance("personas", 428, 400, True), inst), entrada(avance("asesorias", 747, 700, True), inst),
            entrada(ObjetivoCumplido(convenio_id=cid, objetivo_id="asesorias", indicador="asesorias_brindadas",
                                     valor=747, meta=700, fecha=HOY), inst)]
    await procesador(nombre, motor).procesar_lote(pool, lote)
    [otorgado] = await salidas(pool, "distintivo.otorgado.v1")
    criterios = otorgado["data"]["criterios"]
    assert "Objetivo: Capacitar a 400 servidores públicos: 428 de 400" in criterios
    assert "Objetivo: Brindar 700 asesorías: 747 de 700" in criterios
    narrativa = otorgado["data"]["credencial"]["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert "428 de 400" in narrativa and "405" not in narrativa
