"""Catálogo: cada `type` CloudEvents con su modelo de datos y su tópico."""

from dataclasses import dataclass

from esquemas import capacitacion, convenios, distintivos, ingreso, notificaciones, rechazos
from esquemas.comun import Evento


@dataclass(frozen=True)
class Tipo:
    nombre: str
    modelo: type[Evento]
    topico: str | None  # None: el de ingreso de quien envía

    @property
    def dataschema(self) -> str:
        return f"urn:mx.alva:esquema:{self.nombre}"


def _tipos_de(modulo, topico: str | None) -> list[Tipo]:
    modelos = [v for v in vars(modulo).values() if isinstance(v, type) and issubclass(v, Evento) and v is not Evento]
    return [Tipo(m.tipo, m, topico) for m in modelos if m.__module__ == modulo.__name__]


TIPOS: dict[str, Tipo] = {
    t.nombre: t
    for t in (
        _tipos_de(ingreso, None)
        + _tipos_de(convenios, convenios.TOPICO)
        + _tipos_de(capacitacion, capacitacion.TOPICO)
        + _tipos_de(distintivos, distintivos.TOPICO)
        + _tipos_de(notificaciones, notificaciones.TOPICO)
        + _tipos_de(rechazos, rechazos.TOPICO)
    )
}

TOPICOS_CANONICOS = (convenios.TOPICO, capacitacion.TOPICO, distintivos.TOPICO, notificaciones.TOPICO, rechazos.TOPICO)


def tipo_de(modelo: type[Evento] | Evento) -> Tipo:
    return TIPOS[modelo.tipo]


def topico_de(modelo: type[Evento] | Evento) -> str:
    topico = tipo_de(modelo).topico
    if topico is None:
        raise ValueError(f"{modelo.tipo} se escribe en el tópico de ingreso de quien lo envía")
    return topico
