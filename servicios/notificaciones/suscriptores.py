"""Qué tipo de evento va a qué caso de uso en notificaciones, y qué necesita cargado cada uno."""

from functools import partial

from esquemas.convenios import TOPICO as CONVENIOS, ConvenioFirmado, EvidenciaRechazada, ObjetivoCumplido
from esquemas.distintivos import TOPICO as DISTINTIVOS, DistintivoOtorgado, DistintivoRevocado, DistintivoVencido
from esquemas.ingreso import institucion_del_topico
from esquemas.notificaciones import TOPICO as NOTIFICACIONES
from esquemas.rechazos import TOPICO as RECHAZOS, EntradaRechazada
from plataforma.consumo import Reaccion
from plataforma.servicio import patron
from servicios.notificaciones import casos_de_uso as cu
from servicios.notificaciones.config import AjustesNotificaciones
from servicios.notificaciones.repositorio import necesita

PATRON = patron(CONVENIOS, DISTINTIVOS, RECHAZOS)
PUBLICA = (NOTIFICACIONES, RECHAZOS)


def _de_la_institucion(_datos, institucion: str):
    return necesita(institucion)


def _del_distintivo(datos, institucion: str):
    return necesita(institucion, datos.distintivo_id)


def _del_rechazo(datos, institucion: str):
    return necesita(institucion_del_topico(datos.topico) or institucion)


def reacciones(ajustes: AjustesNotificaciones) -> dict[str, Reaccion]:
    casos = {
        ConvenioFirmado: (cu.convenio_firmado, _de_la_institucion),
        ObjetivoCumplido: (cu.objetivo_cumplido, _de_la_institucion),
        EvidenciaRechazada: (cu.evidencia_rechazada, _de_la_institucion),
        DistintivoOtorgado: (cu.distintivo_otorgado, _del_distintivo),
        DistintivoVencido: (cu.distintivo_vencido, _del_distintivo),
        DistintivoRevocado: (cu.distintivo_revocado, _del_distintivo),
        EntradaRechazada: (cu.reporte_rechazado, _del_rechazo),
    }
    return {modelo.tipo: Reaccion(modelo, partial(caso, ajustes=ajustes), necesidades)
            for modelo, (caso, necesidades) in casos.items()}
