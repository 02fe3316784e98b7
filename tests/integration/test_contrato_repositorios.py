"""El contrato de los repositorios: cada prueba corre igual sobre el de memoria y sobre el de PostgreSQL, para que
el de memoria no se aparte del real. Cada transacción abre un repositorio nuevo sobre los mismos datos."""

import copy
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from plataforma.bd import crear_pool, migrar
from plataforma.memoria import NoCargada
from plataforma.repositorio import Columnas
from servicios import capacitacion, convenios, distintivos, notificaciones
from servicios.capacitacion.dominio import ConvenioConocido, Sesion
from servicios.capacitacion.repositorio import EnMemoriaCapacitacion, PostgresCapacitacion
from servicios.capacitacion.repositorio import necesita as necesita_capacitacion
from servicios.comun import huella
from servicios.convenios.dominio import Objetivo
from servicios.convenios.repositorio import (Convenio, EnMemoriaConvenios, Evidencia, HechoGuardado,
                                             PostgresConvenios, Version)
from servicios.convenios.repositorio import necesita as necesita_convenios
from servicios.distintivos.reglas import Avance, Reglas
from servicios.distintivos.repositorio import (Anterior, ConvenioVisto, Distintivo, EnMemoriaDistintivos, Evaluacion,
                                               ObjetivoFila, PostgresDistintivos, Programa, ReglasBloqueadas,
                                               SesionFila, id_del_periodo)
from servicios.distintivos.repositorio import necesita as necesita_distintivos
from servicios.notificaciones.destinatarios import Contacto
from servicios.notificaciones.repositorio import (ContactoGuardado, DistintivoSeguido, EnMemoriaNotificaciones,
                                                  PostgresNotificaciones, RechazoPorResumir)
from tests.conftest import unico

pytestmark = pytest.mark.integration

HOY = date(2025, 6, 15)
AHORA = datetime(2025, 6, 15, 12, 30, tzinfo=UTC)
SERVICIOS = {"capacitacion": (capacitacion, EnMemoriaCapacitacion, PostgresCapacitacion),
             "convenios": (convenios, EnMemoriaConvenios, PostgresConvenios),
             "distintivos": (distintivos, EnMemoriaDistintivos, PostgresDistintivos),
             "notificaciones": (notificaciones, EnMemoriaNotificaciones, PostgresNotificaciones)}


# Los dos lados: cada `repo()` es una transacción nueva sobre los mismos datos.

class AlmacenEnMemoria:
    """Lo confirmado vive aquí; cada transacción trabaja sobre una copia y, al terminar, su diario deshace lo que no
    confirmó (como PostgreSQL, que sólo recibe lo confirmado). Si la transacción falla, nada queda."""

    def __init__(self, clase: type) -> None:
        self.confirmado = clase()

    @asynccontextmanager
    async def repo(self):
        repo = copy.deepcopy(self.confirmado)
        yield repo
        repo.diario.deshacer(0)
        for tabla in repo.tablas.values():
            tabla.escrita()
        getattr(repo, "reglas_usadas", {}).clear()  # lo pendiente fuera de las tablas, tampoco
        self.confirmado = repo


class AlmacenPostgres:
    """Una conexión y una transacción nuevas por repositorio."""

    def __init__(self, clase: type, pool) -> None:
        self.clase, self.pool = clase, pool

    @asynccontextmanager
    async def repo(self):
        async with self.pool.acquire() as conn, conn.transaction():
            yield self.clase(conn)


@asynccontextmanager
async def almacen(servicio: str, dsn: str | None):
    """En memoria, o un esquema nuevo con las migraciones del servicio que se borra al final."""
    modulo, en_memoria, en_postgres = SERVICIOS[servicio]
    if dsn is None:
        yield AlmacenEnMemoria(en_memoria)
        return
    nombre = f"contrato_{unico(servicio).replace('-', '_')}"
    pool = await crear_pool(dsn, nombre, maximo=2)
    try:
        await migrar(pool, nombre, Path(modulo.__file__).parent / "sql")
        yield AlmacenPostgres(en_postgres, pool)
    finally:
        async with pool.acquire() as conn:
            await conn.execute(f'DROP SCHEMA "{nombre}" CASCADE')
        await pool.close()


@pytest.fixture(params=["memoria", "postgres"])
def dsn(request) -> str | None:
    return request.getfixturevalue("infra").postgres_dsn if request.param == "postgres" else None


@pytest.fixture
async def lado_capacitacion(dsn):
    async with almacen("capacitacion", dsn) as lado:
        yield lado


@pytest.fixture
async def lado_convenios(dsn):
    async with almacen("convenios", dsn) as lado:
        yield lado


@pytest.fixture
async def lado_distintivos(dsn):
    async with almacen("distintivos", dsn) as lado:
        yield lado


@pytest.fixture
async def lado_notificaciones(dsn):
    async with almacen("notificaciones", dsn) as lado:
        yield lado


def unir(*necesidades: dict) -> dict:
    salida: dict = {}
    for n in necesidades:
        for tabla, llaves in n.items():
            salida.setdefault(tabla, set()).update(llaves)
    return salida


async def guardar(lado, *filas) -> None:
    """Una transacción que carga las llaves de las filas, las guarda y confirma."""
    async with lado.repo() as repo:
        por_clase = {c.fila: c for c in repo.COLUMNAS}
        await repo.cargar(unir(*({por_clase[type(f)].tabla: {por_clase[type(f)].llave_de(f)}} for f in filas)))
        for fila in filas:
            repo.guardar(fila)
        await repo.confirmar()


# Cualquier tabla: lo guardado vuelve igual por llave y por grupo, se reemplaza, se borra y lo no cargado no se ve.

TABLAS = [(s, c) for s, (_, clase, _) in SERVICIOS.items() for c in clase.COLUMNAS]
# Un hecho de convenios ha de ser uno que su dominio entienda (al cargarlo se buscan sus personas).
AJUSTES = {HechoGuardado: lambda n: {"clase": "evidencia",
                                     "contenido": {"evidencia_id": f"e{n}", "objetivo_id": "o", "fecha": "2025-01-01"}}}


def valor(tipo: str, n: int):
    return {"text": f"v{n}", "int8": n, "float8": n + 0.5, "bool": n % 2 == 1,
            "date": date(2025, 1, 1) + timedelta(days=n),
            "timestamptz": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=n, microseconds=n),
            "json": {"clave": f"v{n}", "lista": [n, None, "ñandú"]}}[tipo]


def muestra(c: Columnas, llave: tuple, variante: int, n: int):
    """Una fila de la tabla con esa llave; `variante` cambia todo lo que no es llave; `n` la distingue de otras."""
    valores = {col: valor(c.tipos[col], 1001 * variante + 10 * n + i) for i, col in enumerate(c.columnas)}
    valores |= AJUSTES.get(c.fila, lambda _: {})(1001 * variante + n)
    return c.fila(**(valores | dict(zip(c.llave, llave))))


def llaves(c: Columnas) -> list[tuple]:
    """Tres llaves: si la tabla tiene grupos, dos en un grupo y una en otro."""
    if not c.grupo:
        return [tuple(valor(c.tipos[col], 300 + n) for col in c.llave) for n in range(3)]
    return [tuple(valor(c.tipos[col], (100 + g) if i < c.grupo else (200 + m)) for i, col in enumerate(c.llave))
            for g, m in ((0, 0), (0, 1), (1, 0))]


def padres(servicio: str, c: Columnas, filas: list) -> list:
    """Los convenios a los que apuntan las filas (las tablas de convenios y distintivos los exigen)."""
    tablas = {t.tabla: t for t in SERVICIOS[servicio][1].COLUMNAS}
    if c.tabla == "convenios" or "convenios" not in tablas or "convenio_id" not in c.columnas:
        return []
    ids = sorted({f.convenio_id for f in filas})
    return [muestra(tablas["convenios"], (cid,), 0, 90 + n) for n, cid in enumerate(ids)]


@pytest.mark.parametrize(("servicio", "columnas"), TABLAS, ids=[f"{s}.{c.tabla}" for s, c in TABLAS])
async def test_cualquier_tabla_va_y_vuelve(servicio, columnas, dsn):
    c = columnas
    ks = llaves(c)
    filas = [muestra(c, k, 0, n) for n, k in enumerate(ks)]
    cambiadas = [muestra(c, k, 1, n) for n, k in enumerate(ks)]
    async with almacen(servicio, dsn) as lado:
        await guardar(lado, *padres(servicio, c, filas + cambiadas), *filas)
        # Por llave y, si tiene grupos, por grupo: lo mismo que se guardó.
        async with lado.repo() as repo:
            await repo.cargar({c.tabla: set(ks)})
            assert [repo.tabla(c.tabla).leer(k) for k in ks] == filas
        if c.grupo:
            async with lado.repo() as repo:
                await repo.cargar({c.tabla: {ks[0][:c.grupo]}})
                assert repo.tabla(c.tabla).de_grupo(*ks[0][:c.grupo]) == filas[:2]
                # Lo que no se cargó no se ve (salvo en una tabla que está entera en memoria).
                if not repo.tabla(c.tabla).completa:
                    with pytest.raises(NoCargada):
                        repo.tabla(c.tabla).leer(ks[2])
                    with pytest.raises(NoCargada):
                        repo.tabla(c.tabla).de_grupo(*ks[2][:c.grupo])
        async with lado.repo() as repo:
            await repo.cargar({c.tabla: {ks[0]}})
            if not repo.tabla(c.tabla).completa:
                with pytest.raises(NoCargada):
                    repo.tabla(c.tabla).leer(ks[1])
            if c.grupo:
                # Tener una fila de un grupo no es tenerlo entero: pedirlo después lo trae completo.
                await repo.cargar({c.tabla: {ks[0][:c.grupo]}})
                assert repo.tabla(c.tabla).de_grupo(*ks[0][:c.grupo]) == filas[:2]
        # Guardar otra vez la misma llave la reemplaza; en una tabla de sólo insertar, lo primero se queda.
        async with lado.repo() as repo:
            await repo.cargar({c.tabla: set(ks)})
            for fila in cambiadas:
                repo.guardar(fila)
            await repo.confirmar()
        async with lado.repo() as repo:
            await repo.cargar({c.tabla: set(ks)})
            assert [repo.tabla(c.tabla).leer(k) for k in ks] == (filas if c.solo_insertar else cambiadas)
            repo.tabla(c.tabla).quitar(ks[0])
            await repo.confirmar()
        # Lo borrado ya no está, ni por llave ni en su grupo.
        async with lado.repo() as repo:
            await repo.cargar({c.tabla: set(ks) | ({k[:c.grupo] for k in ks} if c.grupo else set())})
            quedan = (filas if c.solo_insertar else cambiadas)[1:]
            assert [repo.tabla(c.tabla).leer(k) for k in ks] == [None, *quedan]
            if c.grupo:
                assert repo.tabla(c.tabla).de_grupo(*ks[0][:c.grupo]) == quedan[:1]


# Capacitación

async def test_capacitacion_convenio_sesion_y_constancias(lado_capacitacion):
    lado = lado_capacitacion
    conocido = ConvenioConocido("C-penjamo", "penjamo", date(2025, 1, 1), date(2025, 12, 31))
    sesion = Sesion("penjamo", "S-1", "C-penjamo", "programada", huella({"tema": "acoso"}), {"tema": "acoso"})
    await guardar(lado, conocido, sesion)
    async with lado.repo() as repo:
        await repo.cargar(unir(necesita_capacitacion("C-penjamo", ("penjamo", "S-1")),
                               necesita_capacitacion(sesion=("penjamo", "S-9"))))
        assert repo.convenio("C-penjamo") == conocido
        assert repo.sesion("penjamo", "S-1") == sesion
        assert repo.sesion("penjamo", "S-9") is None
        # La sesión se completa: otra versión, con constancia para quienes asistieron (en la sesión misma).
        completada = replace(sesion, estado="completada", version=2, con_constancia=["ana", "beto"])
        repo.guardar(completada)
        await repo.confirmar()
    async with lado.repo() as repo:
        await repo.cargar(necesita_capacitacion("C-penjamo", ("penjamo", "S-1")))
        assert repo.sesion("penjamo", "S-1") == completada
        assert repo.convenio("C-penjamo") == conocido
        if isinstance(lado, AlmacenPostgres):  # quien lee la base las ve una por fila, en su orden
            filas = await repo.conn.fetch("SELECT asistente, convenio_id FROM constancias WHERE institucion = 'penjamo' "
                                          "AND sesion_id = 'S-1' ORDER BY orden")
            assert [tuple(f) for f in filas] == [("ana", "C-penjamo"), ("beto", "C-penjamo")]


# Convenios

def convenio(cid: str, fin: date = date(2025, 12, 31), estado: str = "vigente") -> Convenio:
    contenido = {"convenio_id": cid, "objetivos": [{"objetivo_id": "personas", "meta": 2}]}
    return Convenio(cid, "ALVA", "prodheg", "penjamo", date(2025, 1, 1), fin, estado, 1, contenido, AHORA)


def sesion_de(cid: str, sesion_id: str, *asistentes: str) -> HechoGuardado:
    """Una sesión como la guarda el avance (su contenido en JSON)."""
    contenido = {"sesion_id": sesion_id, "tema": "Acoso laboral", "modalidad": "presencial", "fecha": "2025-03-01",
                 "horas": 2.0, "asistentes": list(asistentes)}
    return HechoGuardado(cid, f"sesion:{sesion_id}", "sesion", contenido, huella(contenido))


async def test_convenios_lo_guardado_se_lee_por_el_puerto(lado_convenios):
    lado = lado_convenios
    personas = Objetivo("C-1", "personas", "personas_capacitadas", 2, descripcion="Capacitar a 2 personas")
    horas = Objetivo("C-1", "horas", "horas_capacitacion", 10, tema="Acoso laboral", modalidad="presencial")
    s1 = sesion_de("C-1", "S-1", "ana", "beto")
    evidencia = Evidencia("C-1", "E-1", "personas", "Lista de asistencia", "https://penjamo.example/lista.pdf",
                          "recibida", None, "h-e1")
    await guardar(lado, convenio("C-1"), convenio("C-2"), personas, horas, s1, evidencia,
                  Version("C-1", 1, [{"objetivo_id": "personas"}], "Convenio firmado", AHORA))
    async with lado.repo() as repo:
        await repo.cargar(necesita_convenios("C-1", origen="sesion:S-1", evidencia="E-1"))
        assert repo.convenio("C-1") == convenio("C-1")
        assert repo.objetivos("C-1") == [horas, personas]  # en orden de llave
        assert repo.hecho("C-1", "sesion:S-1") == s1
        assert repo.hecho("C-1", "sesion:S-1").hecho.asistentes == ("ana", "beto")
        assert repo.evidencia("C-1", "E-1") == evidencia
        # Se actualiza el objetivo, se aprueba la evidencia y se retira la sesión.
        repo.guardar(replace(personas, valor=2, cumplido=True, cumplido_en=HOY))
        repo.guardar(replace(evidencia, estado="aprobada"))
        repo.quitar_hecho("C-1", "sesion:S-1")
        await repo.confirmar()
    async with lado.repo() as repo:
        await repo.cargar(unir(necesita_convenios("C-1", todo=True, evidencia="E-1"), necesita_convenios("C-2")))
        assert repo.objetivos("C-1") == [horas, replace(personas, valor=2, cumplido=True, cumplido_en=HOY)]
        assert repo.evidencia("C-1", "E-1").estado == "aprobada"
        assert repo.hecho("C-1", "sesion:S-1") is None and repo.hechos("C-1") == []
        assert repo.objetivos("C-2") == [] and repo.convenio("C-2") == convenio("C-2")


async def test_convenios_las_cuentas_suman_entre_transacciones(lado_convenios):
    lado = lado_convenios
    await guardar(lado, convenio("C-1"), Objetivo("C-1", "personas", "personas_capacitadas", 3),
                  Objetivo("C-1", "otro", "personas_capacitadas", 1))

    async def sesion(sesion_id: str, *asistentes: str) -> None:
        """Una sesión que cuenta a sus personas, con lo que el suscriptor pide cargar."""
        async with lado.repo() as repo:
            await repo.cargar(necesita_convenios("C-1", origen=f"sesion:{sesion_id}",
                                                 unidades={f"persona:{a}" for a in asistentes}))
            repo.guardar(sesion_de("C-1", sesion_id, *asistentes))
            cuenta = repo.cuenta("C-1")
            for a in asistentes:
                cuenta.sumar(f"persona:{a}", "personas", 1)
            repo.guardar_cuenta("C-1", cuenta)
            await repo.confirmar()

    await sesion("S-1", "ana", "beto")
    await sesion("S-2", "beto", "carla")
    # S-1 se corrige sin beto: el suscriptor pide sólo a ana; las cuentas de beto llegan con el hecho anterior.
    async with lado.repo() as repo:
        await repo.cargar(necesita_convenios("C-1", origen="sesion:S-1", unidades={"persona:ana"}))
        cuenta = repo.cuenta("C-1")
        assert (cuenta.de("persona:ana"), cuenta.de("persona:beto")) == ({"personas": 1}, {"personas": 2})
        assert cuenta.sumar("persona:beto", "personas", -1) == 1
        cuenta.sumar("persona:ana", "otro", 1)
        repo.guardar(sesion_de("C-1", "S-1", "ana"))
        repo.guardar_cuenta("C-1", cuenta)
        await repo.confirmar()
    async with lado.repo() as repo:
        await repo.cargar(necesita_convenios("C-1", todo=True))
        cuenta = repo.cuenta("C-1")
        assert [cuenta.de(f"persona:{p}") for p in ("ana", "beto", "carla", "dora")] == [
            {"personas": 1, "otro": 1}, {"personas": 1}, {"personas": 1}, {}]
        # Sin el objetivo «personas», sólo queda lo que ana aporta a «otro»; las unidades sin nada se borran.
        repo.quitar_objetivo("C-1", "personas")
        await repo.confirmar()
    async with lado.repo() as repo:
        await repo.cargar(necesita_convenios("C-1", todo=True))
        assert [o.objetivo_id for o in repo.objetivos("C-1")] == ["otro"]
        assert [(c.unidad, c.referencias) for c in repo.tabla("conteos").de_grupo("C-1")] == [
            ("persona:ana", {"otro": 1})]


async def test_convenios_vencen_el_dia_despues_de_su_vigencia(lado_convenios):
    lado = lado_convenios
    await guardar(lado, convenio("C-ayer", fin=HOY - timedelta(days=1)), convenio("C-hoy", fin=HOY),
                  convenio("C-antier", fin=HOY - timedelta(days=2)),
                  convenio("C-cancelado", fin=HOY - timedelta(days=5), estado="cancelado"))
    async with lado.repo() as repo:
        vencidos = await repo.vencer(HOY)
        await repo.confirmar()
    # Devuelve los convenios ya vencidos, completos, en orden de id.
    assert vencidos == [replace(convenio("C-antier", fin=HOY - timedelta(days=2)), estado="vencido"),
                        replace(convenio("C-ayer", fin=HOY - timedelta(days=1)), estado="vencido")]
    async with lado.repo() as repo:
        assert await repo.vencer(HOY) == []
        await repo.cargar({"convenios": {("C-ayer",), ("C-hoy",), ("C-cancelado",)}})
        assert [repo.convenio(c).estado for c in ("C-ayer", "C-hoy", "C-cancelado")] == ["vencido", "vigente",
                                                                                         "cancelado"]
    async with lado.repo() as repo:
        assert [c.convenio_id for c in await repo.vencer(HOY + timedelta(days=1))] == ["C-hoy"]


# Distintivos

def convenio_visto(cid: str, **cambios) -> ConvenioVisto:
    return replace(ConvenioVisto(cid, "ALVA", "prodheg", "penjamo", "Municipio de Pénjamo", date(2025, 1, 1),
                                 date(2025, 12, 31)), **cambios)


def distintivo(did: str, cid: str, fin: date, estado: str = "vigente", indice: int = 0) -> Distintivo:
    return Distintivo(did, "ALVA", cid, "2025-01-01/2025-12-31", "penjamo", date(2025, 1, 10), date(2025, 1, 10), fin,
                      estado, 1, None, None, indice, "eyJ.credencial", "prodheg")


async def test_distintivos_lo_guardado_se_lee_por_el_puerto(lado_distintivos):
    lado = lado_distintivos
    c1 = convenio_visto("C-1")
    did = id_del_periodo(c1)
    objetivo = ObjetivoFila("C-1", "personas", "Capacitar a 2 personas", "personas_capacitadas", 2)
    sesion = SesionFila("C-1", "S-1", "Acoso laboral", "presencial", date(2025, 3, 1), 2.5, ["ana", "beto"])
    await guardar(lado, c1, objetivo, sesion, Evaluacion("C-1", [], ["Personas"]),
                  distintivo(did, "C-1", date(2026, 1, 10)), Programa("ALVA", 1, []),
                  Anterior("penjamo", {"ALVA": did}))
    # El distintivo trae a su convenio; el convenio, al distintivo de su periodo, su programa y su institución.
    async with lado.repo() as repo:
        await repo.cargar(necesita_distintivos(distintivo=did))
        assert repo.distintivo(did) == distintivo(did, "C-1", date(2026, 1, 10))
        assert repo.convenio("C-1") == c1
    async with lado.repo() as repo:
        await repo.cargar(necesita_distintivos("C-1", institucion="penjamo", todo=True))
        assert repo.distintivo(did).convenio_id == "C-1"
        assert (repo.programa("ALVA"), repo.programa("OTRO")) == (Programa("ALVA", 1, []), Programa("OTRO", 0, []))
        assert repo.anteriores("penjamo") == {"ALVA": did}
        assert repo.objetivos("C-1") == [objetivo] and repo.sesiones("C-1") == [sesion]
        assert repo.sesion("C-1", "S-1").vista().asistentes == ("ana", "beto")
        assert repo.evaluacion("C-1") == Evaluacion("C-1", [], ["Personas"])
        assert repo.avances("C-1") == {}
        repo.guardar_avances("C-1", {"acoso": Avance(1, 2.5, 2)})
        repo.guardar(replace(objetivo, valor=2.0, cumplido_en=HOY))
        repo.quitar_sesion("C-1", "S-1")
        await repo.confirmar()
    async with lado.repo() as repo:
        await repo.cargar(necesita_distintivos("C-1", todo=True))
        assert repo.avances("C-1") == {"acoso": Avance(1, 2.5, 2)}
        assert repo.objetivos("C-1") == [replace(objetivo, valor=2.0, cumplido_en=HOY)]
        assert repo.sesiones("C-1") == [] and repo.sesion("C-1", "S-1") is None
        repo.quitar_objetivo("C-1", "personas")
        await repo.confirmar()
    async with lado.repo() as repo:
        await repo.cargar(necesita_distintivos("C-1"))
        assert repo.objetivos("C-1") == []


async def test_distintivos_las_asistencias_suman_y_la_correccion_trae_las_suyas(lado_distintivos):
    lado = lado_distintivos
    await guardar(lado, convenio_visto("C-1"))

    async def sesion(sesion_id: str, *asistentes: str) -> None:
        """Una sesión que cuenta a sus personas en el filtro «acoso», con lo que el suscriptor pide cargar."""
        async with lado.repo() as repo:
            await repo.cargar(necesita_distintivos("C-1", institucion="penjamo", sesion=sesion_id,
                                                   personas=set(asistentes)))
            repo.guardar(SesionFila("C-1", sesion_id, "Acoso", "presencial", date(2025, 3, 1), 2, list(asistentes)))
            cuenta = repo.asistencias("C-1")
            for a in asistentes:
                cuenta.sumar(a, "acoso", 1)
            repo.guardar_asistencias("C-1", cuenta)
            await repo.confirmar()

    await sesion("S-1", "ana", "beto")
    await sesion("S-2", "beto", "carla")
    # S-1 se corrige sin beto: el suscriptor pide sólo a ana; las cuentas de beto llegan con la sesión anterior.
    async with lado.repo() as repo:
        await repo.cargar(necesita_distintivos("C-1", institucion="penjamo", sesion="S-1", personas={"ana"}))
        cuenta = repo.asistencias("C-1")
        assert (cuenta.de("ana"), cuenta.de("beto")) == ({"acoso": 1}, {"acoso": 2})
        assert cuenta.sumar("beto", "acoso", -1) == 1
        repo.guardar(replace(repo.sesion("C-1", "S-1"), asistentes=["ana"]))
        repo.guardar_asistencias("C-1", cuenta)
        await repo.confirmar()
    # S-2 se cancela: beto y carla dejan de contar y sus filas se borran.
    async with lado.repo() as repo:
        await repo.cargar(necesita_distintivos("C-1", institucion="penjamo", sesion="S-2"))
        cuenta = repo.asistencias("C-1")
        for a in repo.sesion("C-1", "S-2").asistentes:
            cuenta.sumar(a, "acoso", -1)
        repo.quitar_sesion("C-1", "S-2")
        repo.guardar_asistencias("C-1", cuenta)
        await repo.confirmar()
    async with lado.repo() as repo:
        await repo.cargar(necesita_distintivos("C-1", todo=True))
        assert [s.sesion_id for s in repo.sesiones("C-1")] == ["S-1"]
        assert [(a.unidad, a.referencias) for a in repo.tabla("asistencias").de_grupo("C-1")] == [("ana", {"acoso": 1})]


async def test_distintivos_vencen_el_dia_despues_de_su_vigencia(lado_distintivos):
    lado = lado_distintivos
    await guardar(lado, *(convenio_visto(c) for c in ("C-1", "C-2", "C-3", "C-4")),
                  distintivo("D-ayer", "C-1", HOY - timedelta(days=1), indice=0),
                  distintivo("D-hoy", "C-2", HOY, indice=1),
                  distintivo("D-antier", "C-3", HOY - timedelta(days=2), indice=2),
                  distintivo("D-revocado", "C-4", HOY - timedelta(days=9), estado="revocado", indice=3))
    async with lado.repo() as repo:
        vencidos = await repo.vencer(HOY)
        await repo.confirmar()
    assert vencidos == [distintivo("D-antier", "C-3", HOY - timedelta(days=2), estado="vencido", indice=2),
                        distintivo("D-ayer", "C-1", HOY - timedelta(days=1), estado="vencido", indice=0)]
    async with lado.repo() as repo:
        assert await repo.vencer(HOY) == []
        await repo.cargar({"distintivos": {("D-ayer",), ("D-hoy",), ("D-revocado",)}})
        assert [repo.distintivo(d).estado for d in ("D-ayer", "D-hoy", "D-revocado")] == ["vencido", "vigente",
                                                                                          "revocado"]


async def test_distintivos_convenios_por_evaluar(lado_distintivos):
    lado = lado_distintivos
    # Ids que ordenan distinto según la intercalación (mayúsculas, guiones): el orden es el de sus caracteres.
    await guardar(lado, convenio_visto("c-2"), convenio_visto("C-10"), convenio_visto("Ca"), convenio_visto("C-b"),
                  convenio_visto("C-otorgado", distintivo_id="D-1"), convenio_visto("C-vencido", estado="vencido"),
                  convenio_visto("C-cancelado", estado="cancelado"))
    async with lado.repo() as repo:
        assert await repo.convenios_por_evaluar() == ["C-10", "C-b", "Ca", "c-2"]
        await repo.cargar(necesita_distintivos("Ca"))
        repo.guardar(replace(repo.convenio("Ca"), distintivo_id="D-2"))
        await repo.confirmar()
    async with lado.repo() as repo:
        assert await repo.convenios_por_evaluar() == ["C-10", "C-b", "c-2"]


def reglas(version: int, huella_: str) -> Reglas:
    return Reglas("ALVA", version, "Distintivo ALVA", "prodheg", {"objetivos": "todos"}, huella=huella_)


async def test_distintivos_una_version_de_reglas_que_otorgo_ya_no_cambia(lado_distintivos):
    lado = lado_distintivos
    async with lado.repo() as repo:
        await repo.sincronizar_reglas([reglas(1, "h1")])
        await repo.confirmar()
    # Antes de otorgar, la versión aún puede corregirse.
    async with lado.repo() as repo:
        await repo.sincronizar_reglas([reglas(1, "h1-corregida")])
        await repo.confirmar()
    async with lado.repo() as repo:
        repo.usar_reglas(reglas(1, "h1-corregida"))
        await repo.confirmar()
    async with lado.repo() as repo:
        await repo.sincronizar_reglas([reglas(1, "h1-corregida"), reglas(2, "h2")])  # la misma y una nueva: bien
        await repo.confirmar()
    with pytest.raises(ReglasBloqueadas):
        async with lado.repo() as repo:
            await repo.sincronizar_reglas([reglas(2, "h2-otra"), reglas(1, "h1-otra")])


async def test_distintivos_al_otorgar_se_bloquea_la_version_registrada(lado_distintivos):
    lado = lado_distintivos
    async with lado.repo() as repo:
        await repo.sincronizar_reglas([reglas(1, "h1")])
        await repo.confirmar()
    # Una instancia con otra copia de la v1 otorga: la v1 queda bloqueada tal como estaba registrada.
    async with lado.repo() as repo:
        repo.usar_reglas(reglas(1, "h1-de-otra-instancia"))
        await repo.confirmar()
    async with lado.repo() as repo:
        await repo.sincronizar_reglas([reglas(1, "h1")])
        await repo.confirmar()
    with pytest.raises(ReglasBloqueadas):
        async with lado.repo() as repo:
            await repo.sincronizar_reglas([reglas(1, "h1-de-otra-instancia")])


# Notificaciones

def contacto(convenio_id: str, email: str, registrado: datetime, rol: str = "enlace",
             avisos: list | None = None) -> ContactoGuardado:
    return ContactoGuardado("penjamo", convenio_id, email, email.split("@")[0], rol, avisos, registrado)


async def test_notificaciones_contactos_del_convenio_o_del_mas_reciente(lado_notificaciones):
    lado = lado_notificaciones
    antes = AHORA - timedelta(days=30)
    await guardar(lado, contacto("C-1", "beto@penjamo.gob.mx", antes, "tecnico"),
                  contacto("C-1", "ana@penjamo.gob.mx", antes, avisos=["rechazo", "distintivo_otorgado"]),
                  contacto("C-2", "carla@penjamo.gob.mx", AHORA),
                  replace(contacto("C-0", "dora@irapuato.gob.mx", AHORA), institucion="irapuato"),
                  replace(contacto("C-9", "eva@irapuato.gob.mx", AHORA), institucion="irapuato"))
    async with lado.repo() as repo:
        await repo.cargar({"contactos": {("penjamo",), ("irapuato",), ("silao",)}})
        assert repo.contactos("penjamo", "C-1") == [Contacto("ana@penjamo.gob.mx", "enlace",
                                                             ("rechazo", "distintivo_otorgado")),
                                                    Contacto("beto@penjamo.gob.mx", "tecnico", None)]
        # Sin convenio (o uno que no nombra a nadie): los del más reciente; empatados, el de id mayor.
        assert repo.contactos("penjamo") == repo.contactos("penjamo", "C-7") == [Contacto("carla@penjamo.gob.mx")]
        assert repo.contactos("irapuato") == [Contacto("eva@irapuato.gob.mx")]
        assert repo.contactos("silao") == []
        # El convenio 1 se registra otra vez, más tarde: beto cambia de rol y pasa a ser el más reciente.
        repo.guardar(contacto("C-1", "beto@penjamo.gob.mx", AHORA + timedelta(minutes=1), "enlace"))
        await repo.confirmar()
    async with lado.repo() as repo:
        await repo.cargar({"contactos": {("penjamo",)}})
        ana = Contacto("ana@penjamo.gob.mx", "enlace", ("rechazo", "distintivo_otorgado"))
        assert repo.contactos("penjamo") == [ana, Contacto("beto@penjamo.gob.mx")]


def seguido(did: str, fin: date, estado: str = "vigente") -> DistintivoSeguido:
    return DistintivoSeguido(did, "penjamo", fin, estado, {"causa": {"id": f"ev-{did}"}, "datos": {"programa": "ALVA"}})


async def test_notificaciones_por_vencer_en_30_7_y_1_dias(lado_notificaciones):
    lado = lado_notificaciones
    dias = [31, 30, 8, 7, 2, 1, 0, -1]
    await guardar(lado, *(seguido(f"D{d:+03d}", HOY + timedelta(days=d)) for d in dias),
                  seguido("D-revocado", HOY + timedelta(days=5), "revocado"))
    # El distintivo de +1 se actualiza (en PostgreSQL la fila cambia de sitio): el orden no depende de eso.
    async with lado.repo() as repo:
        await repo.cargar({"distintivos": {("D+01",)}})
        repo.guardar(replace(repo.distintivo("D+01"), otorgado={"causa": {"id": "ev-D+01"}, "datos": {}}))
        await repo.confirmar()
    async with lado.repo() as repo:
        por_umbral = {u: [d.distintivo_id for d in await repo.por_vencer(HOY, u)] for u in (30, 7, 1)}
        assert por_umbral == {30: ["D+00", "D+01", "D+02", "D+07", "D+08", "D+30"],
                              7: ["D+00", "D+01", "D+02", "D+07"],
                              1: ["D+00", "D+01"]}
        assert (await repo.por_vencer(HOY, 1))[0] == seguido("D+00", HOY)


def rechazo(evento_id: str, institucion: str, recibido: datetime) -> RechazoPorResumir:
    return RechazoPorResumir(evento_id, institucion, {"codigo": "fecha_fuera_de_vigencia"}, {"id": evento_id}, recibido)


async def test_notificaciones_rechazos_por_resumir_por_periodo(lado_notificaciones):
    lado = lado_notificaciones
    corte = AHORA - timedelta(hours=1)
    # Pénjamo tiene uno que ya esperó el periodo (justo en el corte) y otro reciente; Irapuato, sólo recientes.
    await guardar(lado, rechazo("r-3", "penjamo", AHORA), rechazo("r-1", "penjamo", corte),
                  rechazo("r-2", "irapuato", corte + timedelta(microseconds=1)),
                  rechazo("r-0", "silao", corte - timedelta(days=1)))
    async with lado.repo() as repo:
        resumen = await repo.rechazos_por_resumir(corte)
        await repo.confirmar()
    assert resumen == {"silao": [rechazo("r-0", "silao", corte - timedelta(days=1))],
                       "penjamo": [rechazo("r-1", "penjamo", corte), rechazo("r-3", "penjamo", AHORA)]}
    assert list(resumen) == ["silao", "penjamo"]  # la que más ha esperado, primero
    # Lo resumido sale; lo de Irapuato espera al siguiente periodo.
    async with lado.repo() as repo:
        assert await repo.rechazos_por_resumir(corte) == {}
        assert list(await repo.rechazos_por_resumir(AHORA)) == ["irapuato"]
        await repo.confirmar()
    async with lado.repo() as repo:
        assert await repo.rechazos_por_resumir(AHORA + timedelta(days=1)) == {}
