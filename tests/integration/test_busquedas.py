"""Las búsquedas por llave de un lote no recorren la tabla: su costo no crece con la historia.

El peor caso es real: un servicio recién desplegado prepara sus sentencias con las tablas vacías y asyncpg las
guarda; el plan genérico que PostgreSQL arma entonces se sigue usando cuando la tabla ya es grande. Aquí ese plan se
fuerza (`plan_cache_mode=force_generic_plan`) con las tablas vacías, luego crecen, y se cuenta cuántas veces la
transacción recorrió cada tabla entera (`pg_stat_xact_user_tables.seq_scan`, antes y después del lote)."""

from dataclasses import dataclass

import asyncpg
import pytest

from plataforma.consumo import PREVIAS, RESPONDER
from plataforma.repositorio import Columnas, EnPostgres, Repositorio
from tests.conftest import unico

pytestmark = pytest.mark.integration

FILAS = 20_000


@dataclass(frozen=True)
class Fila:
    grupo: str
    clave: str
    valor: int


class Filas(EnPostgres, Repositorio):
    COLUMNAS = (Columnas("filas", Fila, ("grupo", "clave"), {"grupo": "text", "clave": "text", "valor": "int8"},
                         grupo=1, bloquear=True),)


async def recorridos(conn: asyncpg.Connection) -> dict[str, int]:
    filas = await conn.fetch("SELECT relname, seq_scan FROM pg_stat_xact_user_tables "
                             "WHERE schemaname = current_schema()")
    return {f["relname"]: f["seq_scan"] for f in filas}


@pytest.fixture
async def conn(infra):
    esquema = unico("busquedas").replace("-", "_")
    previa = await asyncpg.connect(infra.postgres_dsn)
    await previa.execute(f'CREATE SCHEMA "{esquema}"')
    conn = await asyncpg.connect(infra.postgres_dsn, server_settings={"search_path": esquema,
                                                                      "plan_cache_mode": "force_generic_plan"})
    try:
        await conn.execute("CREATE TABLE filas (grupo text, clave text, valor int8 NOT NULL, PRIMARY KEY (grupo, clave));"
                           "CREATE TABLE inbox (evento_id text PRIMARY KEY, huella text NOT NULL DEFAULT '', respuesta jsonb)")
        yield conn
    finally:
        await conn.close()
        await previa.execute(f'DROP SCHEMA "{esquema}" CASCADE')
        await previa.close()


async def un_lote(conn: asyncpg.Connection, llaves: list[tuple[str, str]], grupo: str, quitar: tuple[str, str],
                  eventos: list[str]) -> tuple[Filas, dict[str, int]]:
    """Lo que hace un lote con sus tablas: carga llaves sueltas y un grupo entero, busca sus eventos en el inbox,
    anota las respuestas y quita una fila; devuelve el repositorio y los recorridos de tabla entera de la carga, la
    búsqueda y las respuestas."""
    async with conn.transaction():  # dentro de la transacción la sesión no vuelca sus cuentas: la resta es exacta
        antes = await recorridos(conn)
        repo = Filas(conn)
        await repo.cargar({"filas": {*llaves, (grupo,)}})
        vistos = await conn.fetch(PREVIAS, eventos + ["e-nunca-visto"])
        assert sorted(f["evento_id"] for f in vistos) == sorted(eventos)
        await conn.execute(RESPONDER, eventos, ['{"estado": "aceptado"}'] * len(eventos))
        despues = await recorridos(conn)
        repo.tabla("filas").quitar(quitar)  # borrar (raro) va por llave; aquí sólo se comprueba que borra
        await repo.confirmar()
        return repo, {tabla: n - antes.get(tabla, 0) for tabla, n in despues.items()}


async def test_un_lote_no_recorre_tablas_que_crecieron_despues_de_planear(conn):
    # Las sentencias se preparan y planean con las tablas casi vacías (como al desplegar).
    await conn.execute("INSERT INTO filas VALUES ('g-0', 'c-0', 0); INSERT INTO inbox (evento_id) VALUES ('e-0')")
    await un_lote(conn, [("g-0", "c-0")], "g-0", ("g-0", "c-0"), ["e-0"])

    await conn.execute("INSERT INTO filas SELECT 'g-' || (i % 1000), 'c-' || i, i FROM generate_series(1, $1) i;"
                       "INSERT INTO inbox (evento_id) SELECT 'e-' || i FROM generate_series(1, $1) i"
                       .replace("$1", str(FILAS)))

    llaves = [(f"g-{i % 1000}", f"c-{i}") for i in range(1, 400, 7)]
    eventos = [f"e-{i}" for i in range(1, 500, 3)]
    repo, recorrido = await un_lote(conn, llaves, "g-3", ("g-3", "c-3"), eventos)

    assert recorrido.get("filas", 0) == 0 and recorrido.get("inbox", 0) == 0, recorrido
    tabla = repo.tabla("filas")
    assert all(tabla.leer(llave).valor == int(llave[1][2:]) for llave in llaves)
    assert sorted(f.clave for f in tabla.de_grupo("g-3")) == sorted(f"c-{i}" for i in range(1003, FILAS + 1, 1000))
    assert await conn.fetchval("SELECT count(*) FROM filas WHERE grupo = 'g-3'") == FILAS // 1000 - 1
    assert await conn.fetchval("SELECT count(*) FROM inbox WHERE respuesta IS NOT NULL AND evento_id = ANY($1)",
                               eventos) == len(eventos)
