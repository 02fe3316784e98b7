"""Persistencia de capacitación: el puerto, su versión en memoria y la de PostgreSQL (esquema `capacitacion`)."""

from typing import Protocol

import asyncpg

from plataforma.repositorio import Columnas, EnPostgres, Necesidades, Repositorio
from servicios.capacitacion.dominio import ConvenioConocido, Sesion

CONVENIOS = Columnas("convenios", ConvenioConocido, ("convenio_id",),
                     {"convenio_id": "text", "institucion": "text", "vigencia_inicio": "date", "vigencia_fin": "date",
                      "estado": "text"})
SESIONES = Columnas("sesiones", Sesion, ("institucion", "sesion_id"),
                    {"institucion": "text", "sesion_id": "text", "convenio_id": "text", "estado": "text",
                     "huella": "text", "contenido": "json", "version": "int8", "con_constancia": "json"})


class RepositorioCapacitacion(Protocol):
    async def cargar(self, necesidades: Necesidades) -> None: ...
    async def confirmar(self) -> None: ...
    def convenio(self, convenio_id: str) -> ConvenioConocido | None: ...
    def sesion(self, institucion: str, sesion_id: str) -> Sesion | None: ...
    def guardar(self, fila: ConvenioConocido | Sesion) -> None: ...


def necesita(convenio_id: str | None = None, sesion: tuple[str, str] | None = None) -> Necesidades:
    """Lo que un evento necesita cargado: su convenio y su sesión."""
    salida: Necesidades = {}
    if convenio_id is not None:
        salida["convenios"] = {(convenio_id,)}
    if sesion is not None:
        salida["sesiones"] = {sesion}
    return salida


class EnMemoriaCapacitacion(Repositorio):
    COLUMNAS = (CONVENIOS, SESIONES)

    def convenio(self, convenio_id: str) -> ConvenioConocido | None:
        return self.tablas["convenios"].leer((convenio_id,))

    def sesion(self, institucion: str, sesion_id: str) -> Sesion | None:
        return self.tablas["sesiones"].leer((institucion, sesion_id))


class PostgresCapacitacion(EnPostgres, EnMemoriaCapacitacion):
    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
