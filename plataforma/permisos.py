"""Quién puede qué en Kafka: tópicos de la plataforma, principales y la matriz de ACLs de mínimo privilegio."""

from __future__ import annotations

import re
from dataclasses import dataclass

from esquemas import capacitacion, convenios, distintivos, notificaciones, rechazos
from esquemas.ingreso import PREFIJO_TOPICO, topico_ingreso
from esquemas.rechazos import SUFIJO_DLQ

SERVICIOS = ("convenios", "capacitacion", "distintivos", "notificaciones")
OPERADOR = "alva-operador"
TOPICO_CONTROL = "alva.control"
TOPICO_REENVIOS = "alva.reenvios"
PREFIJO_RESPUESTAS = "alva.respuestas."
PATRON_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")

CANONICOS = {"convenios": convenios.TOPICO, "capacitacion": capacitacion.TOPICO,
             "distintivos": distintivos.TOPICO, "notificaciones": notificaciones.TOPICO}
ENTRADAS = {"convenios": (capacitacion.TOPICO,), "capacitacion": (convenios.TOPICO,),
            "distintivos": (convenios.TOPICO, capacitacion.TOPICO),
            "notificaciones": (convenios.TOPICO, distintivos.TOPICO, rechazos.TOPICO)}
# Lo que escribe cada uno de su propiedad: su tópico y, capacitacion, las constancias aparte (nadie las consume).
ESCRIBE = {**{s: (t,) for s, t in CANONICOS.items()}, "capacitacion": (capacitacion.TOPICO, capacitacion.TOPICO_CONSTANCIAS)}
LEEN_INGRESO = ("convenios", "capacitacion", "distintivos")
TOPICOS_PLATAFORMA = (
    *(t for propios in ESCRIBE.values() for t in propios), rechazos.TOPICO, TOPICO_CONTROL, TOPICO_REENVIOS,
    *(t + SUFIJO_DLQ for t in (convenios.TOPICO, capacitacion.TOPICO, distintivos.TOPICO, rechazos.TOPICO)),
)


@dataclass(frozen=True, order=True)
class Permiso:
    """Una ACL ALLOW: `principal` puede `operacion` sobre el recurso (`topic` o `group`) `nombre`."""

    principal: str
    recurso: str
    nombre: str
    patron: str  # "literal" o "prefixed"
    operacion: str  # "READ", "WRITE" o "DESCRIBE"


def principal_servicio(servicio: str) -> str:
    return f"alva-{servicio}"


def principal_institucion(institucion: str) -> str:
    return f"institucion-{institucion}"


def exigir_id(institucion: str) -> str:
    if not PATRON_ID.fullmatch(institucion or ""):
        raise ValueError(f"'{institucion}' no es un id de institución: minúsculas, números y guiones")
    return institucion


def topico_respuestas(institucion: str) -> str:
    return PREFIJO_RESPUESTAS + institucion


def topicos_institucion(institucion: str) -> tuple[str, str, str]:
    ingreso = topico_ingreso(exigir_id(institucion))
    return ingreso, ingreso + SUFIJO_DLQ, topico_respuestas(institucion)


def _topico(principal: str, nombre: str, *operaciones: str, patron: str = "literal") -> list[Permiso]:
    return [Permiso(principal, "topic", nombre, patron, op) for op in operaciones]


def _grupo(principal: str, nombre: str, *operaciones: str, patron: str = "literal") -> list[Permiso]:
    return [Permiso(principal, "group", nombre, patron, op) for op in operaciones]


def permisos_servicio(servicio: str) -> list[Permiso]:
    """Lee sus entradas, alva.control y alva.reenvios; escribe lo suyo, rechazos, respuestas y sus DLQs."""
    p = principal_servicio(servicio)
    permisos = _topico(p, PREFIJO_TOPICO, "READ", patron="prefixed") if servicio in LEEN_INGRESO else []
    for entrada in (*ENTRADAS[servicio], TOPICO_CONTROL, TOPICO_REENVIOS):
        permisos += _topico(p, entrada, "READ")
    for salida in (*ESCRIBE[servicio], rechazos.TOPICO, *(e + SUFIJO_DLQ for e in ENTRADAS[servicio])):
        permisos += _topico(p, salida, "WRITE")
    permisos += _topico(p, PREFIJO_RESPUESTAS, "WRITE", patron="prefixed")
    return permisos + _grupo(p, principal_servicio(servicio), "READ")


def permisos_operador(otorgantes: list[str]) -> list[Permiso]:
    """Lee todo `alva.` y los grupos `alva-`; escribe sólo el ingreso de los otorgantes y alva.reenvios."""
    permisos = _topico(OPERADOR, "alva.", "READ", "DESCRIBE", patron="prefixed")
    permisos += _grupo(OPERADOR, "alva-", "READ", "DESCRIBE", patron="prefixed")
    for otorgante in otorgantes:
        permisos += _topico(OPERADOR, topico_ingreso(exigir_id(otorgante)), "WRITE")
    return permisos + _topico(OPERADOR, TOPICO_REENVIOS, "WRITE")


def permisos_institucion(institucion: str) -> list[Permiso]:
    """Escribe su ingreso, lee sus respuestas y sus grupos; nada más. Los servicios escriben la DLQ de su ingreso."""
    p, (ingreso, dlq, respuestas) = principal_institucion(institucion), topicos_institucion(institucion)
    permisos = _topico(p, ingreso, "WRITE", "DESCRIBE") + _topico(p, respuestas, "READ")
    permisos += _grupo(p, p, "READ") + _grupo(p, f"{p}.", "READ", patron="prefixed")
    for servicio in LEEN_INGRESO:
        permisos += _topico(principal_servicio(servicio), dlq, "WRITE")
    return permisos
