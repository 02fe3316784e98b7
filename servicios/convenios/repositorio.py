"""Persistencia de convenios: el puerto, su versión en memoria y la de PostgreSQL (SQL explícito, esquema `convenios`)."""

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

import asyncpg
import orjson

from plataforma.repositorio import Columnas, EnPostgres, Necesidades, Repositorio, cuenta_de, guardar_cuenta
from servicios.comun import Cuenta
from servicios.convenios.dominio import Hecho, Objetivo, hecho_desde, unidades_compartidas


@dataclass(frozen=True)
class Convenio:
    convenio_id: str
    programa: str
    otorgante: str
    institucion: str
    vigencia_inicio: date
    vigencia_fin: date
    estado: str
    version: int
    contenido: dict
    registrado_en: datetime


@dataclass(frozen=True)
class Version:
    convenio_id: str
    version: int
    objetivos: list
    motivo: str
    registrada_en: datetime


@dataclass(frozen=True)
class HechoGuardado:
    """Lo que cuenta para el avance (una sesión, una actividad, una evidencia aprobada), con su contenido."""

    convenio_id: str
    origen: str
    clase: str
    contenido: dict
    huella: str

    @property
    def hecho(self) -> Hecho:
        return hecho_desde(self.clase, self.contenido)


@dataclass(frozen=True)
class Conteo:
    """Cuántos hechos aportan una unidad compartida (una persona), por objetivo."""

    convenio_id: str
    unidad: str
    referencias: dict


@dataclass(frozen=True)
class Evidencia:
    convenio_id: str
    evidencia_id: str
    objetivo_id: str
    descripcion: str
    documento: str
    estado: str
    motivo: str | None
    huella: str


CONVENIOS = Columnas("convenios", Convenio, ("convenio_id",),
                     {"convenio_id": "text", "programa": "text", "otorgante": "text", "institucion": "text",
                      "vigencia_inicio": "date", "vigencia_fin": "date", "estado": "text", "version": "int8",
                      "contenido": "json", "registrado_en": "timestamptz"}, bloquear=True)
OBJETIVOS = Columnas("objetivos", Objetivo, ("convenio_id", "objetivo_id"),
                     {"convenio_id": "text", "objetivo_id": "text", "indicador": "text", "meta": "float8",
                      "tema": "text", "modalidad": "text", "valor": "float8", "cumplido": "bool", "cumplido_en": "date",
                      "descripcion": "text"}, grupo=1)
VERSIONES = Columnas("versiones", Version, ("convenio_id", "version"),
                     {"convenio_id": "text", "version": "int8", "objetivos": "json", "motivo": "text",
                      "registrada_en": "timestamptz"}, solo_insertar=True)
HECHOS = Columnas("hechos", HechoGuardado, ("convenio_id", "origen"),
                  {"convenio_id": "text", "origen": "text", "clase": "text", "contenido": "json", "huella": "text"},
                  grupo=1)
CONTEOS = Columnas("conteos", Conteo, ("convenio_id", "unidad"),
                   {"convenio_id": "text", "unidad": "text", "referencias": "json"}, grupo=1)
EVIDENCIAS = Columnas("evidencias", Evidencia, ("convenio_id", "evidencia_id"),
                      {"convenio_id": "text", "evidencia_id": "text", "objetivo_id": "text", "descripcion": "text",
                       "documento": "text", "estado": "text", "motivo": "text", "huella": "text"})


class RepositorioConvenios(Protocol):
    async def cargar(self, necesidades: Necesidades) -> None: ...
    async def confirmar(self) -> None: ...
    def convenio(self, convenio_id: str) -> Convenio | None: ...
    def objetivos(self, convenio_id: str) -> list[Objetivo]: ...
    def hecho(self, convenio_id: str, origen: str) -> HechoGuardado | None: ...
    def hechos(self, convenio_id: str) -> list[HechoGuardado]: ...
    def evidencia(self, convenio_id: str, evidencia_id: str) -> Evidencia | None: ...
    def cuenta(self, convenio_id: str) -> Cuenta: ...
    def guardar_cuenta(self, convenio_id: str, cuenta: Cuenta) -> None: ...
    def guardar(self, fila) -> None: ...
    def quitar_objetivo(self, convenio_id: str, objetivo_id: str) -> None: ...
    def quitar_hecho(self, convenio_id: str, origen: str) -> None: ...
    async def vencer(self, hoy: date) -> list[Convenio]: ...


def necesita(convenio_id: str, *, origen: str | None = None, unidades: set[str] = frozenset(), todo: bool = False,
             evidencia: str | None = None) -> Necesidades:
    """Lo que un evento necesita cargado: el convenio y sus objetivos, el hecho de su origen, las cuentas de sus
    unidades compartidas, su evidencia; `todo`: todos sus hechos y cuentas (recontar tras una modificación)."""
    salida: Necesidades = {"convenios": {(convenio_id,)}, "objetivos": {(convenio_id,)}}
    if origen is not None:
        salida["hechos"] = {(convenio_id, origen)}
    if unidades:
        salida["conteos"] = {(convenio_id, u) for u in unidades}
    if todo:
        salida["hechos"] = {(convenio_id,)}
        salida["conteos"] = {(convenio_id,)}
    if evidencia is not None:
        salida["evidencias"] = {(convenio_id, evidencia)}
    return salida


class EnMemoriaConvenios(Repositorio):
    COLUMNAS = (CONVENIOS, OBJETIVOS, VERSIONES, HECHOS, CONTEOS, EVIDENCIAS)

    def convenio(self, convenio_id: str) -> Convenio | None:
        return self.tablas["convenios"].leer((convenio_id,))

    def objetivos(self, convenio_id: str) -> list[Objetivo]:
        return self.tablas["objetivos"].de_grupo(convenio_id)

    def hecho(self, convenio_id: str, origen: str) -> HechoGuardado | None:
        return self.tablas["hechos"].leer((convenio_id, origen))

    def hechos(self, convenio_id: str) -> list[HechoGuardado]:
        return self.tablas["hechos"].de_grupo(convenio_id)

    def evidencia(self, convenio_id: str, evidencia_id: str) -> Evidencia | None:
        return self.tablas["evidencias"].leer((convenio_id, evidencia_id))

    def cuenta(self, convenio_id: str) -> Cuenta:
        """Las cuentas del convenio; cada unidad se lee de la tabla sólo cuando se la pide."""
        return cuenta_de(self.tablas["conteos"], convenio_id)

    def guardar_cuenta(self, convenio_id: str, cuenta: Cuenta) -> None:
        guardar_cuenta(self.tablas["conteos"], convenio_id, cuenta, Conteo)

    def quitar_objetivo(self, convenio_id: str, objetivo_id: str) -> None:
        """Sin el objetivo ni lo que contaba (necesita todas las cuentas del convenio cargadas)."""
        self.tablas["objetivos"].quitar((convenio_id, objetivo_id))
        cuenta = self.cuenta(convenio_id)
        for conteo in self.tablas["conteos"].de_grupo(convenio_id):
            cuenta.de(conteo.unidad).pop(objetivo_id, None)
        self.guardar_cuenta(convenio_id, cuenta)

    def quitar_hecho(self, convenio_id: str, origen: str) -> None:
        self.tablas["hechos"].quitar((convenio_id, origen))

    async def vencer(self, hoy: date) -> list[Convenio]:
        """Los vigentes cuya vigencia terminó antes de `hoy` pasan a vencidos; se devuelven así, en orden de id."""
        vencidos = sorted((replace(c, estado="vencido") for c in self.tablas["convenios"]
                           if c.estado == "vigente" and c.vigencia_fin < hoy), key=lambda c: c.convenio_id)
        for c in vencidos:
            self.guardar(c)
        return vencidos


class PostgresConvenios(EnPostgres, EnMemoriaConvenios):
    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)

    async def cargar(self, necesidades: Necesidades) -> None:
        """Dos pasos: lo pedido, y luego las cuentas de las personas de los hechos anteriores que se corrigen."""
        await super().cargar(necesidades)
        anteriores = [h for cid, *resto in necesidades.get("hechos", ()) if resto and (h := self.hecho(cid, resto[0]))]
        previas = {(h.convenio_id, u) for h in anteriores for u in unidades_compartidas(h.hecho)}
        if previas:
            await super().cargar({"conteos": previas})

    async def vencer(self, hoy: date) -> list[Convenio]:
        filas = await self.conn.fetch(
            """WITH vencidos AS (UPDATE convenios SET estado = 'vencido' WHERE estado = 'vigente' AND vigencia_fin < $1
                                 RETURNING *)
               SELECT *, contenido::text AS contenido_texto FROM vencidos ORDER BY convenio_id COLLATE "C" """, hoy)
        return [Convenio(**{**{k: f[k] for k in f.keys() if k not in ("contenido", "contenido_texto")},
                            "contenido": orjson.loads(f["contenido_texto"])}) for f in filas]
