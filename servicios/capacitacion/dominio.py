"""Reglas de sesiones y constancias; sólo biblioteca estándar."""

import uuid
from dataclasses import dataclass, field
from datetime import date

from plataforma.nube import uuid5
from servicios.comun import problema_de_admision

ESPACIO_CONSTANCIAS = uuid.UUID("6f1d3c1e-5d1b-4c55-9a53-3a8a3c0e7a11")


@dataclass(frozen=True)
class ConvenioConocido:
    """Lo que capacitación sabe de un convenio (de `alva.convenios`)."""

    convenio_id: str
    institucion: str
    vigencia_inicio: date
    vigencia_fin: date
    estado: str = "vigente"

    def problema_para(self, institucion: str, fecha: date | None) -> tuple[str, str, str] | None:
        """Por qué esta institución no puede reportar una sesión de esta fecha bajo el convenio, si no puede."""
        return problema_de_admision(self.convenio_id, self.institucion, self.estado, self.vigencia_inicio,
                                    self.vigencia_fin, institucion, fecha)


@dataclass(frozen=True)
class Sesion:
    """Una sesión reportada: su contenido vigente (la última versión) y a quién ya se le dio constancia, en orden
    (sus constancias: una por asistente, con el id de `id_constancia`)."""

    institucion: str
    sesion_id: str
    convenio_id: str
    estado: str  # programada, completada o cancelada
    huella: str
    contenido: dict
    version: int = 1
    con_constancia: list[str] = field(default_factory=list)


def id_constancia(institucion: str, sesion_id: str, asistente: str) -> str:
    """Estable: la misma persona en la misma sesión siempre recibe la misma constancia."""
    return uuid5(ESPACIO_CONSTANCIAS, f"{institucion}/{sesion_id}/{asistente}")


def nuevos(asistentes: list[str], ya: list[str]) -> list[str]:
    """Quienes aún no tienen constancia de esta sesión, sin repetir y en el orden del reporte."""
    vistos = set(ya)
    return [a for a in dict.fromkeys(asistentes) if a not in vistos]
