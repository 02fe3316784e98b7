"""Catálogo: cada `type` CloudEvents con su modelo de datos y el tópico del que se le cree."""

from dataclasses import dataclass

from esquemas import capacitacion, control, convenios, distintivos, ingreso, notificaciones, rechazos, respuestas
from esquemas.comun import Evento


@dataclass(frozen=True)
class Tipo:
    nombre: str
    modelo: type[Evento]
    topico: str  # puede llevar {institucion}: el de ingreso o el de respuestas de cada una

    @property
    def dataschema(self) -> str:
        return f"urn:mx.alva:esquema:{self.nombre}"

    @property
    def es_reporte(self) -> bool:
        return self.topico == ingreso.TOPICO

    def topico_para(self, institucion: str) -> str:
        return self.topico.format(institucion=institucion)


def _tipos_de(modulo, topico: str) -> list[Tipo]:
    """Los tipos de un módulo, en su tópico (o en el que el modelo diga, p. ej. las constancias)."""
    modelos = [v for v in vars(modulo).values() if isinstance(v, type) and issubclass(v, Evento) and v is not Evento]
    return [Tipo(m.tipo, m, getattr(m, "topico", topico)) for m in modelos if m.__module__ == modulo.__name__]


TIPOS: dict[str, Tipo] = {
    t.nombre: t
    for t in (
        _tipos_de(ingreso, ingreso.TOPICO)
        + _tipos_de(convenios, convenios.TOPICO)
        + _tipos_de(capacitacion, capacitacion.TOPICO)
        + _tipos_de(distintivos, distintivos.TOPICO)
        + _tipos_de(notificaciones, notificaciones.TOPICO)
        + _tipos_de(rechazos, rechazos.TOPICO)
        + _tipos_de(respuestas, respuestas.TOPICO)
        + _tipos_de(control, control.TOPICO)
    )
}

TOPICOS_CANONICOS = (convenios.TOPICO, capacitacion.TOPICO, capacitacion.TOPICO_CONSTANCIAS, distintivos.TOPICO,
                     notificaciones.TOPICO)


def tipo_de(modelo: type[Evento] | Evento) -> Tipo:
    return TIPOS[modelo.tipo]


def topico_de(modelo: type[Evento] | Evento, institucion: str | None = None) -> str:
    """El tópico donde se publica un tipo; el de ingreso y el de respuestas dependen de la institución."""
    tipo = tipo_de(modelo)
    if "{institucion}" in tipo.topico and institucion is None:
        raise ValueError(f"{modelo.tipo} va al tópico propio de una institución: diga cuál")
    return tipo.topico_para(institucion or "")


def creido_en(tipo: str, topico: str, institucion_del_topico: str | None) -> bool:
    """Un tipo sólo se cree en el tópico que le corresponde: un reporte en un ingreso, un hecho en el de su dueño."""
    conocido = TIPOS.get(tipo)
    return conocido is not None and conocido.topico_para(institucion_del_topico or "") == topico
