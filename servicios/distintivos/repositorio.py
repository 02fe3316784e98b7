"""Persistencia del evaluador: el puerto, su versión en memoria y la de PostgreSQL (esquema `distintivos`)."""

import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

import asyncpg

from plataforma.repositorio import Columnas, EnPostgres, Necesidades, Repositorio, cuenta_de, guardar_cuenta
from servicios.comun import Cuenta
from servicios.distintivos.dominio import id_distintivo, periodo
from servicios.distintivos.reglas import Avance, ObjetivoVisto, Reglas, SesionVista


class ReglasBloqueadas(RuntimeError):
    """Alguien cambió una versión de reglas que ya otorgó distintivos."""


@dataclass(frozen=True)
class ConvenioVisto:
    convenio_id: str
    programa: str
    otorgante: str
    institucion: str
    institucion_nombre: str
    vigencia_inicio: date
    vigencia_fin: date
    estado: str = "vigente"
    distintivo_id: str | None = None  # el de su periodo, si ya se otorgó

    @property
    def vigencia(self) -> tuple[date, date]:
        return self.vigencia_inicio, self.vigencia_fin


@dataclass(frozen=True)
class ObjetivoFila:
    convenio_id: str
    objetivo_id: str
    descripcion: str
    indicador: str
    meta: float
    valor: float | None = None
    cumplido_en: date | None = None

    def visto(self) -> ObjetivoVisto:
        return ObjetivoVisto(self.objetivo_id, self.descripcion, self.indicador, self.meta, self.valor, self.cumplido_en)


@dataclass(frozen=True)
class Evaluacion:
    """La última evaluación publicada: `distintivo.evaluado` sale sólo cuando cambia."""

    convenio_id: str
    cumplidos: list
    faltantes: list


@dataclass(frozen=True)
class Distintivo:
    distintivo_id: str
    programa: str
    convenio_id: str
    periodo: str
    institucion: str
    fecha: date
    vigencia_inicio: date
    vigencia_fin: date
    estado: str
    reglas_version: int
    anterior_id: str | None
    motivo: str | None
    indice_estado: int
    credencial: str
    otorgante: str


@dataclass(frozen=True)
class SesionFila:
    convenio_id: str
    sesion_id: str
    tema: str
    modalidad: str
    fecha: date
    horas: float
    asistentes: list

    def vista(self) -> SesionVista:
        return SesionVista(self.tema, self.modalidad, self.fecha, self.horas, tuple(self.asistentes))


@dataclass(frozen=True)
class AvanceFila:
    """El avance de un convenio por filtro de sesiones: {filtro: {sesiones, horas, personas}}."""

    convenio_id: str
    filtros: dict


@dataclass(frozen=True)
class Asistencia:
    """Por cuántas sesiones cuenta una persona en cada filtro (para contarla una sola vez)."""

    convenio_id: str
    unidad: str
    referencias: dict


@dataclass(frozen=True)
class Programa:
    """El siguiente índice libre de su lista de estado y los índices revocados."""

    programa: str
    siguiente_indice: int
    revocados: list


@dataclass(frozen=True)
class ListaPublicada:
    """La última lista de estado firmada de un programa: la que se sirve en su URL."""

    programa: str
    otorgante: str
    url: str
    jwt: str


@dataclass(frozen=True)
class Anterior:
    """El último distintivo de una institución en cada programa: el que renueva el siguiente."""

    institucion: str
    por_programa: dict


CONVENIOS = Columnas("convenios", ConvenioVisto, ("convenio_id",),
                     {"convenio_id": "text", "programa": "text", "otorgante": "text", "institucion": "text",
                      "institucion_nombre": "text", "vigencia_inicio": "date", "vigencia_fin": "date", "estado": "text",
                      "distintivo_id": "text"}, bloquear=True)
OBJETIVOS = Columnas("objetivos", ObjetivoFila, ("convenio_id", "objetivo_id"),
                     {"convenio_id": "text", "objetivo_id": "text", "descripcion": "text", "indicador": "text",
                      "meta": "float8", "valor": "float8", "cumplido_en": "date"}, grupo=1)
EVALUACIONES = Columnas("evaluaciones", Evaluacion, ("convenio_id",),
                        {"convenio_id": "text", "cumplidos": "json", "faltantes": "json"})
DISTINTIVOS = Columnas("distintivos", Distintivo, ("distintivo_id",),
                       {"distintivo_id": "text", "programa": "text", "convenio_id": "text", "periodo": "text",
                        "institucion": "text", "fecha": "date", "vigencia_inicio": "date", "vigencia_fin": "date",
                        "estado": "text", "reglas_version": "int8", "anterior_id": "text", "motivo": "text",
                        "indice_estado": "int8", "credencial": "text", "otorgante": "text"})
SESIONES = Columnas("sesiones", SesionFila, ("convenio_id", "sesion_id"),
                    {"convenio_id": "text", "sesion_id": "text", "tema": "text", "modalidad": "text", "fecha": "date",
                     "horas": "float8", "asistentes": "json"}, grupo=1)
AVANCES = Columnas("avances", AvanceFila, ("convenio_id",), {"convenio_id": "text", "filtros": "json"})
ASISTENCIAS = Columnas("asistencias", Asistencia, ("convenio_id", "unidad"),
                       {"convenio_id": "text", "unidad": "text", "referencias": "json"}, grupo=1)
PROGRAMAS = Columnas("programas", Programa, ("programa",),
                     {"programa": "text", "siguiente_indice": "int8", "revocados": "json"})
ANTERIORES = Columnas("anteriores", Anterior, ("institucion",), {"institucion": "text", "por_programa": "json"})
LISTAS = Columnas("listas_estado", ListaPublicada, ("programa",),
                  {"programa": "text", "otorgante": "text", "url": "text", "jwt": "text"}, sin_leer=True)


class RepositorioDistintivos(Protocol):
    async def cargar(self, necesidades: Necesidades) -> None: ...
    async def confirmar(self) -> None: ...
    def convenio(self, convenio_id: str) -> ConvenioVisto | None: ...
    def objetivos(self, convenio_id: str) -> list[ObjetivoFila]: ...
    def evaluacion(self, convenio_id: str) -> Evaluacion | None: ...
    def distintivo(self, distintivo_id: str) -> Distintivo | None: ...
    def sesion(self, convenio_id: str, sesion_id: str) -> SesionFila | None: ...
    def sesiones(self, convenio_id: str) -> list[SesionFila]: ...
    def avances(self, convenio_id: str) -> dict[str, Avance]: ...
    def guardar_avances(self, convenio_id: str, avances: dict[str, Avance]) -> None: ...
    def asistencias(self, convenio_id: str) -> Cuenta: ...
    def guardar_asistencias(self, convenio_id: str, cuenta: Cuenta) -> None: ...
    def programa(self, programa: str) -> Programa: ...
    def anteriores(self, institucion: str) -> dict[str, str]: ...
    def guardar(self, fila) -> None: ...
    def quitar_objetivo(self, convenio_id: str, objetivo_id: str) -> None: ...
    def quitar_sesion(self, convenio_id: str, sesion_id: str) -> None: ...
    def usar_reglas(self, reglas: Reglas) -> None: ...
    async def vencer(self, hoy: date) -> list[Distintivo]: ...
    async def convenios_por_evaluar(self) -> list[str]: ...
    async def sincronizar_reglas(self, versiones: list[Reglas]) -> None: ...


def necesita(convenio_id: str | None = None, *, institucion: str | None = None, sesion: str | None = None,
             personas: set[str] = frozenset(), distintivo: str | None = None, todo: bool = False) -> Necesidades:
    """Lo que un evento necesita cargado; el distintivo del convenio (y, para un distintivo, su convenio) se
    cargan en un segundo paso; los programas, siempre (son pocos)."""
    salida: Necesidades = {}
    if convenio_id is not None:
        salida = {"convenios": {(convenio_id,)}, "objetivos": {(convenio_id,)}, "evaluaciones": {(convenio_id,)},
                  "avances": {(convenio_id,)}}
        if sesion is not None:
            salida["sesiones"] = {(convenio_id, sesion)}
        if personas:
            salida["asistencias"] = {(convenio_id, p) for p in personas}
        if todo:
            salida["sesiones"] = {(convenio_id,)}
            salida["asistencias"] = {(convenio_id,)}
    if distintivo is not None:
        salida["distintivos"] = {(distintivo,)}
    if institucion is not None:
        salida["anteriores"] = {(institucion,)}
    return salida


class EnMemoriaDistintivos(Repositorio):
    COLUMNAS = (CONVENIOS, OBJETIVOS, EVALUACIONES, DISTINTIVOS, SESIONES, AVANCES, ASISTENCIAS, PROGRAMAS, ANTERIORES,
                LISTAS)

    def __init__(self, *, completa: bool = True) -> None:
        super().__init__(completa=completa)
        self.reglas_usadas: dict[tuple[str, int], Reglas] = {}
        self.reglas_guardadas: dict[tuple[str, int], tuple[str, bool]] = {}  # (programa, versión) → (huella, bloqueada)

    def convenio(self, convenio_id: str) -> ConvenioVisto | None:
        return self.tablas["convenios"].leer((convenio_id,))

    def objetivos(self, convenio_id: str) -> list[ObjetivoFila]:
        return self.tablas["objetivos"].de_grupo(convenio_id)

    def evaluacion(self, convenio_id: str) -> Evaluacion | None:
        return self.tablas["evaluaciones"].leer((convenio_id,))

    def distintivo(self, distintivo_id: str) -> Distintivo | None:
        return self.tablas["distintivos"].leer((distintivo_id,))

    def sesion(self, convenio_id: str, sesion_id: str) -> SesionFila | None:
        return self.tablas["sesiones"].leer((convenio_id, sesion_id))

    def sesiones(self, convenio_id: str) -> list[SesionFila]:
        return self.tablas["sesiones"].de_grupo(convenio_id)

    def avances(self, convenio_id: str) -> dict[str, Avance]:
        fila = self.tablas["avances"].leer((convenio_id,))
        return {f: Avance(**a) for f, a in fila.filtros.items()} if fila else {}

    def guardar_avances(self, convenio_id: str, avances: dict[str, Avance]) -> None:
        filtros = {f: {"sesiones": a.sesiones, "horas": a.horas, "personas": a.personas} for f, a in avances.items()}
        actual = self.tablas["avances"].leer((convenio_id,))
        if actual is None and not filtros:
            return  # sin filtros que contar, no hay fila: igual llegue la sesión antes o después del convenio
        if actual is None or actual.filtros != filtros:
            self.guardar(AvanceFila(convenio_id, filtros))

    def asistencias(self, convenio_id: str) -> Cuenta:
        return cuenta_de(self.tablas["asistencias"], convenio_id)

    def guardar_asistencias(self, convenio_id: str, cuenta: Cuenta) -> None:
        guardar_cuenta(self.tablas["asistencias"], convenio_id, cuenta, Asistencia)

    def programa(self, programa: str) -> Programa:
        """Su fila (toda la tabla está en memoria: son pocos); uno que aún no otorga empieza en el índice 0."""
        tabla = self.tablas["programas"]
        return tabla.filas.get((programa,)) or Programa(programa, 0, [])

    def anteriores(self, institucion: str) -> dict[str, str]:
        """Programa → el último distintivo de la institución en él."""
        fila = self.tablas["anteriores"].leer((institucion,))
        return dict(fila.por_programa) if fila else {}

    def quitar_objetivo(self, convenio_id: str, objetivo_id: str) -> None:
        self.tablas["objetivos"].quitar((convenio_id, objetivo_id))

    def quitar_sesion(self, convenio_id: str, sesion_id: str) -> None:
        self.tablas["sesiones"].quitar((convenio_id, sesion_id))

    def usar_reglas(self, reglas: Reglas) -> None:
        """La versión que otorga queda registrada tal cual y bloqueada al confirmar."""
        self.reglas_usadas[(reglas.programa, reglas.version)] = reglas

    async def confirmar(self) -> None:
        for clave, reglas in self.reglas_usadas.items():
            guardada = self.reglas_guardadas.get(clave)  # si ya estaba registrada, se bloquea tal como estaba
            self.reglas_guardadas[clave] = (guardada[0] if guardada else reglas.huella, True)
        self.reglas_usadas.clear()
        await super().confirmar()

    async def vencer(self, hoy: date) -> list[Distintivo]:
        """Los vigentes cuya vigencia terminó antes de `hoy` pasan a vencidos; se devuelven así, en orden de id."""
        vencidos = sorted((replace(d, estado="vencido") for d in self.tablas["distintivos"]
                           if d.estado == "vigente" and d.vigencia_fin < hoy), key=lambda d: d.distintivo_id)
        for d in vencidos:
            self.guardar(d)
        return vencidos

    async def convenios_por_evaluar(self) -> list[str]:
        return sorted(c.convenio_id for c in self.tablas["convenios"] if c.estado == "vigente" and not c.distintivo_id)

    async def sincronizar_reglas(self, versiones: list[Reglas]) -> None:
        for r in versiones:
            guardada = self.reglas_guardadas.get((r.programa, r.version))
            if guardada and guardada[0] != r.huella and guardada[1]:
                raise _bloqueadas(r)
            self.reglas_guardadas[(r.programa, r.version)] = (r.huella, bool(guardada and guardada[1]))


class PostgresDistintivos(EnPostgres, EnMemoriaDistintivos):
    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self._programas = False

    async def cargar(self, necesidades: Necesidades) -> None:
        """Lo pedido; luego lo que depende de ello: el convenio de cada distintivo, el distintivo, el programa y la
        institución de cada convenio, y las personas de cada sesión que se corrige o cancela."""
        if not self._programas:
            tabla = self.tablas["programas"]
            filas = [PROGRAMAS.de_base(f) for f in await self.conn.fetch(
                "SELECT programa, siguiente_indice, revocados::text AS revocados FROM programas")]
            tabla.cargadas([(f.programa,) for f in filas], {(f.programa,): f for f in filas})
            tabla.completa = self._programas = True  # toda la tabla: uno que no está, aún no existe
        await super().cargar(necesidades)
        distintivos = [d for (i,) in necesidades.get("distintivos", ()) if (d := self.distintivo(i))]
        if distintivos:
            await super().cargar({"convenios": {(d.convenio_id,) for d in distintivos}})
        convenios = [c for c in self.tablas["convenios"].filas.values()]
        previas = {(cid, p) for cid, *resto in necesidades.get("sesiones", ()) if resto
                   and (s := self.sesion(cid, resto[0])) for p in s.asistentes}
        await super().cargar({
            "distintivos": {(c.distintivo_id or id_del_periodo(c),) for c in convenios},
            "programas": {(c.programa,) for c in convenios},
            "anteriores": {(c.institucion,) for c in convenios},
            "asistencias": previas,
        })

    async def confirmar(self) -> None:
        for r in self.reglas_usadas.values():
            await self.conn.execute(
                """INSERT INTO reglas (programa, version, huella, contenido, bloqueada) VALUES ($1, $2, $3, $4, true)
                   ON CONFLICT (programa, version) DO UPDATE SET bloqueada = true""",
                r.programa, r.version, r.huella, json.dumps(r.requisito, default=str))
        self.reglas_usadas.clear()
        await super().confirmar()

    async def vencer(self, hoy: date) -> list[Distintivo]:
        filas = await self.conn.fetch(
            """WITH vencidos AS (UPDATE distintivos SET estado = 'vencido'
                                 WHERE estado = 'vigente' AND vigencia_fin < $1 RETURNING *)
               SELECT * FROM vencidos ORDER BY distintivo_id COLLATE "C" """, hoy)
        return [Distintivo(**dict(f)) for f in filas]

    async def convenios_por_evaluar(self) -> list[str]:
        return [f["convenio_id"] for f in await self.conn.fetch(
            """SELECT convenio_id FROM convenios WHERE estado = 'vigente' AND distintivo_id IS NULL
               ORDER BY convenio_id COLLATE "C" """)]

    async def sincronizar_reglas(self, versiones: list[Reglas]) -> None:
        for r in versiones:
            guardada = await self.conn.fetchrow(
                "SELECT huella, bloqueada FROM reglas WHERE programa = $1 AND version = $2", r.programa, r.version)
            if guardada and guardada["huella"] != r.huella and guardada["bloqueada"]:
                raise _bloqueadas(r)
            await self.conn.execute(
                """INSERT INTO reglas (programa, version, huella, contenido) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (programa, version) DO UPDATE SET huella = $3, contenido = $4""",
                r.programa, r.version, r.huella, json.dumps(r.requisito, default=str))


def id_del_periodo(c: ConvenioVisto) -> str:
    """El id del distintivo que el convenio tendría (uno por convenio y periodo)."""
    return id_distintivo(c.programa, c.convenio_id, periodo(c.vigencia_inicio, c.vigencia_fin))


def _bloqueadas(r: Reglas) -> ReglasBloqueadas:
    return ReglasBloqueadas(f"La versión {r.version} de las reglas de {r.programa} ya otorgó distintivos y no puede "
                            f"cambiar; escriba los cambios como v{r.version + 1}.toml.")
