"""Repositorios de los servicios: tablas en memoria (el de pruebas, y la vista de un lote) y su ida y vuelta a
PostgreSQL con una consulta por tabla al cargar y una sentencia por tabla al escribir."""

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from plataforma.memoria import Diario, Llave, Tabla

# Necesidades de un lote: tabla → llaves (o prefijos de grupo) que hay que tener en memoria.
Necesidades = dict[str, set[Llave]]


@dataclass(frozen=True)
class Columnas:
    """Cómo se guarda en PostgreSQL una tabla de filas (dataclasses cuyos campos son las columnas)."""

    tabla: str
    fila: type
    llave: tuple[str, ...]
    tipos: dict[str, str]  # columna → text, int8, float8, bool, date, timestamptz, bytea, json
    grupo: int = 0  # columnas de la llave que forman un grupo (se carga entero)
    bloquear: bool = False  # la raíz de un agregado: FOR UPDATE al cargar, en orden, contra otra instancia
    solo_insertar: bool = False  # lo escrito no cambia: INSERT … ON CONFLICT DO NOTHING
    sin_leer: bool = False  # una proyección que el lote nunca lee: se escribe sin cargarla

    @property
    def columnas(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self.fila))

    def arreglo(self, columna: str) -> str:
        tipo = self.tipos[columna]
        return "text[]" if tipo == "json" else f"{tipo}[]"

    def a_base(self, columna: str, valor: Any) -> Any:
        if valor is not None and self.tipos[columna] == "json":
            return orjson.dumps(valor).decode()
        return valor

    def de_base(self, registro: asyncpg.Record) -> Any:
        valores = {c: orjson.loads(registro[c]) if self.tipos[c] == "json" and registro[c] is not None else registro[c]
                   for c in self.columnas}
        return self.fila(**valores)

    def llave_de(self, fila: Any) -> Llave:
        return tuple(getattr(fila, c) for c in self.llave)


def nueva_tabla(columnas: Columnas, diario: Diario, completa: bool) -> Tabla:
    return Tabla(columnas.tabla, diario, completa=completa, grupo=columnas.grupo,
                 ciega=columnas.sin_leer or columnas.solo_insertar)


class Repositorio:
    """Base de los repositorios: sus tablas en memoria. En memoria (pruebas) todo está cargado siempre."""

    COLUMNAS: tuple[Columnas, ...] = ()

    def __init__(self, *, completa: bool = True) -> None:
        self.diario = Diario()
        self.tablas: dict[str, Tabla] = {c.tabla: nueva_tabla(c, self.diario, completa) for c in self.COLUMNAS}

    def tabla(self, nombre: str) -> Tabla:
        return self.tablas[nombre]

    def guardar(self, fila: Any) -> None:
        """Pone la fila en su tabla (la de su clase); en una de sólo insertar, la que ya estaba se queda."""
        columnas = self._por_clase()[type(fila)]
        tabla, llave = self.tablas[columnas.tabla], columnas.llave_de(fila)
        if columnas.solo_insertar and llave in tabla.filas:
            return
        tabla.poner(llave, fila)

    async def cargar(self, necesidades: Necesidades) -> None:
        """En memoria ya está todo."""

    async def confirmar(self) -> None:
        """En memoria ya quedó todo."""
        for tabla in self.tablas.values():
            tabla.escrita()
        self.diario.olvidar()

    def _por_clase(self) -> dict[type, Columnas]:
        return {c.fila: c for c in self.COLUMNAS}


class EnPostgres:
    """Mezcla para un repositorio: carga de PostgreSQL lo que el lote necesita y escribe lo que cambió."""

    COLUMNAS: tuple[Columnas, ...]
    tablas: dict[str, Tabla]
    diario: Diario

    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(completa=False)  # type: ignore[call-arg]
        self.conn = conn
        self._columnas = {c.tabla: c for c in self.COLUMNAS}

    async def cargar(self, necesidades: Necesidades) -> None:
        """Una consulta por tabla: las llaves completas que falten y, si la tabla tiene grupos, los grupos enteros
        pedidos (una llave del ancho del grupo)."""
        for nombre, llaves in necesidades.items():
            columnas, tabla = self._columnas[nombre], self.tablas[nombre]
            grupos = sorted({k for k in llaves if columnas.grupo and len(k) == columnas.grupo and k not in tabla.enteros})
            if grupos:
                await self._cargar_grupos(columnas, tabla, grupos)
            sueltas = sorted({k for k in llaves if len(k) == len(columnas.llave) and k not in tabla.conocidas
                              and not (columnas.grupo and k[:columnas.grupo] in tabla.enteros)})
            if sueltas:
                await self._cargar_llaves(columnas, tabla, sueltas)

    async def confirmar(self) -> None:
        for columnas in self.COLUMNAS:
            tabla = self.tablas[columnas.tabla]
            puestas, quitadas = tabla.por_escribir()
            if quitadas:
                await self._borrar(columnas, quitadas)
            if puestas:
                await self._escribir(columnas, puestas)
            tabla.escrita()
        self.diario.olvidar()

    async def _cargar_llaves(self, c: Columnas, tabla: Tabla, llaves: list[Llave]) -> None:
        filas = await self._seleccionar(c, c.llave, llaves)
        tabla.cargadas(llaves, {c.llave_de(f): f for f in filas})

    async def _cargar_grupos(self, c: Columnas, tabla: Tabla, prefijos: list[Llave]) -> None:
        filas = await self._seleccionar(c, c.llave[:c.grupo], prefijos)
        por_grupo: dict[Llave, dict[Llave, Any]] = {p: {} for p in prefijos}
        for f in filas:
            llave = c.llave_de(f)
            por_grupo[llave[:c.grupo]][llave] = f
        for prefijo, del_grupo in por_grupo.items():
            tabla.grupo_cargado(prefijo, del_grupo)

    async def _seleccionar(self, c: Columnas, por: tuple[str, ...], llaves: list[Llave]) -> list[Any]:
        arreglos = ", ".join(f"${i + 1}::{c.arreglo(col)}" for i, col in enumerate(por))
        leer = ", ".join(f"t.{col}::text AS {col}" if c.tipos[col] == "json" else f"t.{col}" for col in c.columnas)
        union = " AND ".join(f"f.{col} = k.{col}" for col in por)
        bloqueo = " FOR UPDATE" if c.bloquear else ""
        # Una búsqueda por índice por cada llave (LATERAL; OFFSET 0 impide que el planificador la vuelva un JOIN): con
        # un JOIN elegía un hash join que recorre la tabla entera, y un plan genérico hecho con la tabla aún chica lo
        # seguía usando ya grande. Las llaves llegan ordenadas: las filas se bloquean en ese orden en toda instancia.
        sql = (f"SELECT {leer} FROM unnest({arreglos}) AS k({', '.join(por)}) CROSS JOIN LATERAL "
               f"(SELECT {', '.join(c.columnas)} FROM {c.tabla} f WHERE {union} OFFSET 0{bloqueo}) t "
               f"ORDER BY {', '.join(f't.{col}' for col in c.llave)}")
        registros = await self.conn.fetch(sql, *_columnas_de(llaves, len(por)))
        return [c.de_base(r) for r in registros]

    async def _escribir(self, c: Columnas, filas: list[Any]) -> None:
        nombres = c.columnas
        arreglos = ", ".join(f"${i + 1}::{c.arreglo(col)}" for i, col in enumerate(nombres))
        valores = ", ".join(f"u.{col}::jsonb" if c.tipos[col] == "json" else f"u.{col}" for col in nombres)
        if c.solo_insertar:
            conflicto = "DO NOTHING"
        else:
            resto = [col for col in nombres if col not in c.llave]
            conflicto = ("DO UPDATE SET " + ", ".join(f"{col} = EXCLUDED.{col}" for col in resto)) if resto else "DO NOTHING"
        sql = (f"INSERT INTO {c.tabla} ({', '.join(nombres)}) SELECT {valores} FROM unnest({arreglos}) "
               f"AS u({', '.join(nombres)}) ON CONFLICT ({', '.join(c.llave)}) {conflicto}")
        columnas = [[c.a_base(col, getattr(f, col)) for f in filas] for col in nombres]
        await self.conn.execute(sql, *columnas)

    async def _borrar(self, c: Columnas, llaves: list[Llave]) -> None:
        arreglos = ", ".join(f"${i + 1}::{c.arreglo(col)}" for i, col in enumerate(c.llave))
        union = " AND ".join(f"t.{col} = k.{col}" for col in c.llave)
        # Por llave, no por ctid: si otra transacción cambió la fila, la nueva versión se vuelve a comparar por llave
        # y se borra igual. Es raro (una fila que el dominio quita), así que el plan de este JOIN no pesa.
        sql = f"DELETE FROM {c.tabla} t USING unnest({arreglos}) AS k({', '.join(c.llave)}) WHERE {union}"
        await self.conn.execute(sql, *_columnas_de(llaves, len(c.llave)))


def _columnas_de(llaves: Iterable[Llave], ancho: int) -> list[list[Any]]:
    columnas: list[list[Any]] = [[] for _ in range(ancho)]
    for llave in llaves:
        for i in range(ancho):
            columnas[i].append(llave[i])
    return columnas


def cuenta_de(tabla: Tabla, grupo: str):
    """Una `servicios.comun.Cuenta` sobre una tabla de (grupo, unidad, referencias): lee cada unidad al pedirla."""
    from servicios.comun import Cuenta

    return Cuenta(leer=lambda unidad: (f.referencias if (f := tabla.leer((grupo, unidad))) else None))


def guardar_cuenta(tabla: Tabla, grupo: str, cuenta, fila: type) -> None:
    """Escribe sólo las unidades que la cuenta tocó; la que se queda sin referencias se borra."""
    for unidad, referencias in cuenta.referencias.items():
        llave = (grupo, unidad)
        actual = tabla.filas.get(llave)
        if not referencias:
            if actual is not None:
                tabla.quitar(llave)
        elif actual is None or actual.referencias != referencias:
            tabla.poner(llave, fila(grupo, unidad, dict(referencias)))
