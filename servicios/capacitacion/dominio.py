"""Reglas de sesiones y constancias; sólo biblioteca estándar."""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date

ESPACIO_CONSTANCIAS = uuid.UUID("6f1d3c1e-5d1b-4c55-9a53-3a8a3c0e7a11")


@dataclass(frozen=True)
class ConvenioConocido:
    convenio_id: str
    institucion: str
    vigencia_inicio: date
    vigencia_fin: date
    estado: str

    def problema_para(self, institucion: str, fecha: date) -> tuple[str, str] | None:
        """Por qué esta institución no puede reportar una sesión de esta fecha bajo el convenio, si no puede."""
        if self.institucion != institucion:
            return "convenio_ajeno", f"El convenio {self.convenio_id} no es de '{institucion}'."
        if self.estado != "vigente":
            return "convenio_no_vigente", f"El convenio {self.convenio_id} está {self.estado}."
        if not self.vigencia_inicio <= fecha <= self.vigencia_fin:
            return ("fecha_fuera_de_vigencia",
                    f"La sesión del {fecha} cae fuera de la vigencia del convenio "
                    f"({self.vigencia_inicio} a {self.vigencia_fin}).")
        return None


def huella(contenido: dict) -> str:
    """Igual contenido, igual huella: distingue un reenvío de un reporte distinto con el mismo id."""
    return hashlib.sha256(json.dumps(contenido, sort_keys=True).encode()).hexdigest()


def id_constancia(institucion: str, sesion_id: str, asistente: str) -> str:
    """Estable: la misma persona en la misma sesión siempre recibe la misma constancia."""
    return str(uuid.uuid5(ESPACIO_CONSTANCIAS, f"{institucion}/{sesion_id}/{asistente}"))
