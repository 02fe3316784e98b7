"""Cada clase de aviso se redacta en español, con los datos del evento, en texto y HTML."""

import pytest

from servicios.notificaciones.destinatarios import AVISOS, Contacto, Webhook, destinatarios
from servicios.notificaciones.plantillas import ASUNTOS, redactar
from tests.avisos import DATOS, ESPERADO, OTORGADO

pytestmark = pytest.mark.unit

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
    assert "alva verificar distintivo-d-1.jwt" in mensaje.texto and "alva verificar distintivo-d-1.jwt" in mensaje.html
    assert "<strong>Distintivo ALVA</strong>" in mensaje.html


def test_el_aviso_del_distintivo_dice_de_donde_salen_las_claves_y_la_lista():
    emisor = "https://alva.prodheg.example/emisores/prodheg"
    credencial = {"issuer": {"id": emisor}, "credentialStatus": {"statusListCredential": f"{emisor}/listas/ALVA"}}
    mensaje = redactar("distintivo_otorgado", {**OTORGADO, "credencial": credencial})
    for texto in (mensaje.texto, mensaje.html):
        assert f"{emisor}/jwks.json" in texto and f"{emisor}/listas/ALVA" in texto
        assert "alva verificar distintivo-d-1.jwt --jwks jwks.json --lista lista.jwt" in texto


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


def test_el_correo_crudo_se_lee_igual_con_la_politica_moderna_del_lector():
    """El correo se arma con las clases MIME de compat32 (más baratas); quien lo lee con `policy.default` ve lo
    mismo que se redactó: acentos en el asunto y en el nombre del remitente, texto, HTML y adjunto."""
    import json
    from email import message_from_bytes, policy

    from servicios.notificaciones.canales import correo

    mensaje = redactar("distintivo_otorgado", OTORGADO)
    entrega = {"destinatario": "dirección <direccion@imss.example>", "asunto": mensaje.asunto + " — año 2026",
               "texto": mensaje.texto, "html": mensaje.html, "notificacion_id": "n-1", "evento_id": "e-1",
               "aviso": "distintivo_otorgado", "adjuntos": json.dumps([["d.jwt", "application/vc+jwt", "eyJ.x.y"]])}
    crudo = correo(entrega, "Procuraduría de los Derechos Humanos <distintivo-alva@prodheg.example>")
    assert crudo.isascii()  # viaja por cualquier servidor, con o sin SMTPUTF8
    leido = message_from_bytes(crudo, policy=policy.default)
    assert leido["Subject"] == entrega["asunto"]
    assert leido["From"].addresses[0].display_name == "Procuraduría de los Derechos Humanos"
    assert leido["To"].addresses[0].addr_spec == "direccion@imss.example"
    assert leido["Message-ID"] == "<n-1@alva.local>" and leido["X-ALVA-Aviso"] == "distintivo_otorgado"
    assert leido.get_body(("plain",)).get_content() == mensaje.texto
    assert leido.get_body(("html",)).get_content() == mensaje.html
    assert {a.get_filename(): a.get_content() for a in leido.iter_attachments()} == {"d.jwt": b"eyJ.x.y"}
    assert leido["Date"] is not None


async def test_una_entrega_que_no_se_puede_armar_queda_fallida_sin_volver_a_intentarse():
    """Un adjunto con un tipo sin `/` no arma ningún correo, hoy ni mañana: la entrega queda fallida al primer
    intento, con el motivo, en vez de quedar tomada y retomarse cada vez que vence su plazo."""
    from servicios.notificaciones.canales import Correos
    from servicios.notificaciones.config import AjustesNotificaciones
    from servicios.notificaciones.envio import Canales, entregar

    ajustes = AjustesNotificaciones(smtp_host="127.0.0.1", smtp_puerto=9)  # nada escucha: no debe llegar a conectar
    entrega = {"canal": "email", "destinatario": "a@penjamo.example", "asunto": "x", "texto": "t", "html": "<p>h</p>",
               "notificacion_id": "n-1", "evento_id": "e-1", "aviso": "distintivo_otorgado", "intentos": 0,
               "adjuntos": '[["d.jwt", "jwt-sin-subtipo", "eyJ"]]'}
    resultado = await entregar(ajustes, Canales(Correos(ajustes), None), entrega)
    assert resultado.estado == "fallida" and "TypeError" in resultado.error
