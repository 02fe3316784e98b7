"""Cada clase de aviso se redacta en español, con los datos del evento, en texto y HTML."""

import pytest

from esquemas.ejemplos import ejemplos
from servicios.notificaciones.destinatarios import AVISOS, Contacto, Webhook, destinatarios
from servicios.notificaciones.plantillas import ASUNTOS, redactar

pytestmark = pytest.mark.unit

OTORGADO = {
    "distintivo_id": "d-1", "programa": "ALVA", "otorgante": "prodheg", "institucion": "imss-guanajuato",
    "institucion_nombre": "Delegación Guanajuato del IMSS", "convenio_id": "C-1", "periodo": "2025-03-01/2026-02-28",
    "fecha": "2025-05-01", "vigencia": {"inicio": "2025-05-01", "fin": "2026-02-28"},
    "criterios": ["Objetivo: Capacitar a 10 personas: 11 de 10"], "credencial_jwt": "eyJ.x.y",
}
DATOS = {
    "convenio_firmado": ejemplos()["mx.alva.ingreso.convenio.firmado.v1"].data,
    "objetivo_cumplido": {"convenio_id": "C-1", "objetivo_id": "capacitar", "indicador": "personas_capacitadas",
                          "valor": 11.0, "meta": 10.0, "fecha": "2025-05-01"},
    "evidencia_rechazada": {"convenio_id": "C-1", "objetivo_id": "protocolo", "evidencia_id": "EV-1",
                            "motivo": "Falta la firma del cabildo"},
    "distintivo_otorgado": OTORGADO,
    "distintivo_por_vencer": OTORGADO,
    "distintivo_vencido": {"distintivo_id": "d-1", "convenio_id": "C-1", "institucion": "penjamo", "fecha": "2026-02-28"},
    "distintivo_revocado": {"distintivo_id": "d-1", "convenio_id": "C-1", "institucion": "penjamo",
                            "motivo": "Convenio cancelado: incumplimiento"},
    "rechazo": {"entrada_id": "e-1", "entrada_tipo": "mx.alva.ingreso.sesion.completada.v1",
                "topico": "alva.ingreso.penjamo", "particion": 2, "offset": 41, "codigo": "fecha_fuera_de_vigencia",
                "motivo": "La sesión del 2027-01-10 cae fuera de la vigencia del convenio.", "campo": "data.fecha",
                "servicio": "capacitacion"},
}
ESPERADO = {
    "convenio_firmado": "ALVA-GTO-IMSS-2025",
    "objetivo_cumplido": "11 de 10",
    "evidencia_rechazada": "Falta la firma del cabildo",
    "distintivo_otorgado": "del 2025-05-01 al 2026-02-28",
    "distintivo_por_vencer": "vence en 7 días, el 2026-02-28",
    "distintivo_vencido": "venció el 2026-02-28",
    "distintivo_revocado": "Convenio cancelado: incumplimiento",
    "rechazo": "Qué corregir: La sesión del 2027-01-10 cae fuera",
}


@pytest.mark.parametrize("aviso", AVISOS)
def test_cada_aviso_se_redacta_con_sus_datos(aviso):
    assert set(ASUNTOS) == set(AVISOS)
    mensaje = redactar(aviso, DATOS[aviso], dias=7)
    assert mensaje.asunto and "{{" not in mensaje.asunto
    assert ESPERADO[aviso] in mensaje.texto
    assert "Plataforma ALVA" in mensaje.texto and "<p>" in mensaje.html


def test_el_aviso_del_distintivo_explica_como_verificar_la_credencial():
    mensaje = redactar("distintivo_otorgado", OTORGADO)
    assert mensaje.asunto == "PRODHEG otorga el Distintivo ALVA a Delegación Guanajuato del IMSS"
    assert "python -m servicios.distintivos.verificar distintivo-d-1.jwt --clave-publica prodheg.pub.pem" in mensaje.texto
    assert "<strong>Distintivo ALVA</strong>" in mensaje.html


def test_el_html_escapa_lo_que_viene_de_afuera():
    mensaje = redactar("evidencia_rechazada", {**DATOS["evidencia_rechazada"], "motivo": "<script>x</script>"})
    assert "<script>" not in mensaje.html and "&lt;script&gt;" in mensaje.html


def test_quien_recibe_que():
    enlace = Contacto("igualdad@imss.example")
    tecnico = Contacto("sistemas@imss.example", "tecnico")
    solo_distintivos = Contacto("direccion@imss.example", avisos=("distintivo_otorgado",))
    operador = Contacto("operaciones@prodheg.example", "operador")
    gancho = Webhook("imss-guanajuato", "https://imss.example/alva", ("rechazo", "distintivo_otorgado"))
    contactos = [enlace, tecnico, solo_distintivos]
    assert destinatarios("rechazo", "imss-guanajuato", contactos, [operador], [gancho]) == [
        ("email", "sistemas@imss.example"), ("webhook", "https://imss.example/alva")]
    assert destinatarios("objetivo_cumplido", "imss-guanajuato", contactos, [operador], [gancho]) == [
        ("email", "igualdad@imss.example"), ("email", "operaciones@prodheg.example")]
    assert ("email", "direccion@imss.example") in destinatarios("distintivo_otorgado", "imss-guanajuato", contactos,
                                                                 [], [])
    # El webhook de una institución no recibe lo de otra.
    assert destinatarios("rechazo", "penjamo", [], [], [gancho]) == []
