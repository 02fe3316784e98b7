"""Los correos se redactan en español con los datos del evento."""

from datetime import date

import pytest

from esquemas.comun import Vigencia
from esquemas.distintivos import DistintivoOtorgado
from servicios.notificaciones.plantillas import redactar

pytestmark = pytest.mark.unit


def test_el_correo_del_distintivo_dice_que_cuando_y_hasta_cuando():
    mensaje = redactar(DistintivoOtorgado(
        distintivo_id="d-1", programa="ALVA", otorgante="prodheg", institucion="imss-guanajuato",
        institucion_nombre="Delegación Guanajuato del IMSS", convenio_id="C-1", periodo="2025-03-01/2026-02-28",
        fecha=date(2025, 5, 1), vigencia=Vigencia(inicio=date(2025, 5, 1), fin=date(2026, 2, 28)),
        criterios=["Capacitar a 10 personas: 11 de 10 (personas capacitadas)"],
    ))
    assert mensaje.asunto == "PRODHEG otorga el Distintivo ALVA a Delegación Guanajuato del IMSS"
    assert "del 2025-05-01 al 2026-02-28" in mensaje.texto
    assert "Capacitar a 10 personas" in mensaje.texto
    assert "<strong>Distintivo ALVA</strong>" in mensaje.html
