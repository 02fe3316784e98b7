"""La respuesta a un reporte se arma sin pydantic (sale una por reporte), y es la que daría su modelo."""

import json
from datetime import UTC, datetime

import pytest

from esquemas import CONTENT_TYPE
from esquemas.respuestas import ReporteRespondido
from plataforma.nube import leer
from plataforma.rechazos import Rechazo, datos_de_respuesta

pytestmark = pytest.mark.unit

MARCA = datetime(2026, 11, 20, 12, tzinfo=UTC)
REPORTE = {"specversion": "1.0", "id": "r-1", "source": "/s", "type": "mx.alva.ingreso.sesion.completada.v1",
           "institucion": "penjamo", "data": {"a": 1}}


@pytest.mark.parametrize("valor", [json.dumps(REPORTE).encode(), b"{roto"])
@pytest.mark.parametrize("como", [
    {"aceptado": True, "hechos": [("h-1", "mx.alva.capacitacion.sesion.completada.v1"), ("h-2", "otro")]},
    {"aceptado": True},
    {"aceptado": False, "r": Rechazo("fecha_fuera_de_vigencia", "La fecha está fuera.", "data.fecha")},
    {"aceptado": False, "r": Rechazo("json_invalido", "No es JSON.")},
    {"aceptado": True, "repetido": True, "hechos": [("h-1", "t")]},
])
def test_los_datos_de_una_respuesta_son_los_de_su_modelo(valor, como):
    entrada = leer("alva.ingreso.penjamo", 2, 41, MARCA, b"penjamo", valor, [("content-type", CONTENT_TYPE.encode())])
    directos = datos_de_respuesta(entrada, "capacitacion", **como)
    r = como.get("r")
    modelo = ReporteRespondido(
        entrada_id=entrada.evento.id if entrada.evento else None,
        entrada_tipo=entrada.evento.type if entrada.evento else None, topico=entrada.topico,
        particion=entrada.particion, offset=entrada.offset, aceptado=como["aceptado"],
        hechos=[{"id": i, "type": t} for i, t in como.get("hechos", ())],
        codigo=r and r.codigo, campo=r and r.campo, motivo=r and r.motivo, repetido=como.get("repetido", False),
        servicio="capacitacion")
    assert list(directos.items()) == list(modelo.model_dump(mode="json").items())
    assert ReporteRespondido.model_validate(directos) == modelo
