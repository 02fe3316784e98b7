"""La consola por HTTP: sesión y CSRF, freno a quien adivina, lo que alcanza cada rol y las acciones."""

import re
import time
from datetime import date, timedelta

import httpx
import pytest

from alva.escenario import reporte
from esquemas.convenios import EvidenciaRecibida
from esquemas.ingreso import ReporteEvidenciaEnviada, ReporteSesionCompletada, topico_ingreso
from esquemas.rechazos import EntradaRechazada, topico_dlq
from tests.conftest import unico
from tests.consola import CLAVE
from tests.e2e.ayudas import convenio, de_tipo, enviar, objetivo, rechazo_de

pytestmark = pytest.mark.integration


class Navegante:
    """Un cliente HTTP con su cookie de sesión que toma el token CSRF de cada página, como un formulario."""

    def __init__(self, consola) -> None:
        self.http = httpx.AsyncClient(base_url=consola.url, timeout=60, follow_redirects=False)
        self.csrf = ""

    async def get(self, ruta: str, **kw) -> httpx.Response:
        r = await self.http.get(ruta, **kw)
        if m := re.search(r'<meta name="csrf" content="([^"]+)"', r.text):
            self.csrf = m.group(1)
        return r

    async def post(self, ruta: str, datos: dict, *, con_csrf: bool = True) -> httpx.Response:
        return await self.http.post(ruta, data={**datos, **({"csrf": self.csrf} if con_csrf else {})})

    async def entrar(self, usuario: str, clave: str = CLAVE) -> httpx.Response:
        await self.get("/entrar")
        r = await self.post("/entrar", {"usuario": usuario, "clave": clave})
        await self.get("/verificar")  # la sesión nueva trae otro token
        return r


@pytest.fixture
async def abrir(consola):
    abiertos = []

    async def abrir_(usuario: str | None = None) -> Navegante:
        n = Navegante(consola)
        abiertos.append(n)
        if usuario:
            assert (await n.entrar(usuario)).status_code == 303
        return n

    yield abrir_
    for n in abiertos:
        await n.http.aclose()


async def test_sin_sesion_no_hay_consola_y_la_cookie_es_de_la_consola(abrir):
    anonimo = await abrir()
    for ruta in ("/operacion/vivo", "/operacion/vivo/eventos", "/instituciones/imss-guanajuato", "/operacion/dlq"):
        r = await anonimo.get(ruta)
        assert r.status_code == 303 and r.headers["location"].startswith("/entrar?siguiente="), ruta
    r = await anonimo.entrar("operadora")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert r.headers["location"] == "/operacion/vivo"


async def test_todo_post_sin_su_token_csrf_se_rechaza(abrir):
    anonimo = await abrir()
    await anonimo.get("/entrar")
    assert (await anonimo.post("/entrar", {"usuario": "operadora", "clave": CLAVE}, con_csrf=False)).status_code == 403
    operadora = await abrir("operadora")
    r = await operadora.post("/operacion/dlq/reenviar", {"confirmado": "si"}, con_csrf=False)
    assert r.status_code == 403
    r = await operadora.http.post("/operacion/dlq/reenviar", data={"confirmado": "si", "csrf": "otro-token"})
    assert r.status_code == 403


async def test_cada_clave_fallida_hace_esperar_mas_a_la_siguiente(abrir):
    intruso = await abrir()
    await intruso.get("/entrar")
    esperas, usuario = [], unico("intruso")
    for _ in range(3):
        inicio = time.monotonic()
        r = await intruso.post("/entrar", {"usuario": usuario, "clave": "adivinando"})
        esperas.append(time.monotonic() - inicio)
        assert r.status_code == 401 and "Usuario o clave incorrectos." in r.text
    # Tras una falla espera medio segundo; tras dos, uno (y así hasta un tope): lo que tarde argon2 va encima.
    assert esperas[1] >= 0.5 and esperas[2] >= 1.0, esperas
    # Quien sí sabe la clave entra (tras su espera), y eso limpia las fallas de su dirección.
    assert (await intruso.post("/entrar", {"usuario": "operadora", "clave": CLAVE})).status_code == 303


async def test_una_institucion_ve_sus_rechazos_con_que_corregir_y_no_los_ajenos(abrir, productor, observador):
    cid = f"ALVA-GTO-PENJAMO-{unico('http')}"
    await enviar(productor, convenio(cid, "penjamo", [objetivo("sesiones", "sesiones_impartidas", 5)]))
    fuera = reporte("penjamo", ReporteSesionCompletada(
        sesion_id=f"{cid}-S9", convenio_id=cid, tema="Igualdad", modalidad="presencial",
        fecha=date.today() + timedelta(days=500), horas=2, facilitador="IMUG", asistentes=["pen-0001"]))
    await enviar(productor, fuera)
    rechazo = await observador.esperar(rechazo_de(fuera))
    penjamo, imss, operadora = await abrir("penjamo"), await abrir("imss"), await abrir("operadora")
    propia = await penjamo.get("/instituciones/penjamo")
    assert propia.status_code == 200 and rechazo.data["codigo"] in propia.text and cid in propia.text
    assert rechazo.data["motivo"].split(" (")[0] in propia.text  # qué corregir, en palabras
    assert (await imss.get("/instituciones/penjamo")).status_code == 404
    assert str(fuera.evento.id) not in (await imss.get("/instituciones/imss-guanajuato")).text
    r = await operadora.get("/operacion/rechazos?institucion=penjamo")
    assert r.status_code == 200 and str(fuera.evento.id) in r.text


async def test_quien_opera_aprueba_una_evidencia_y_ve_el_desenlace(abrir, productor, observador):
    cid = f"ALVA-GTO-PENJAMO-{unico('ev')}"
    await enviar(productor, convenio(cid, "penjamo", [objetivo("difusion", "difusion_servicios", 1)]))
    await enviar(productor, reporte("penjamo", ReporteEvidenciaEnviada(
        evidencia_id="EV-DIFUSION-01", convenio_id=cid, objetivo_id="difusion",
        descripcion="Carteles sobre los servicios de atención en 12 oficinas", documento="folio:PEN-2026-0042")))
    await observador.esperar(de_tipo(EvidenciaRecibida, convenio_id=cid))
    operadora = await abrir("operadora")
    assert "EV-DIFUSION-01" in (await operadora.get("/instituciones/penjamo")).text
    datos = {"convenio_id": cid, "objetivo_id": "difusion", "evidencia_id": "EV-DIFUSION-01", "dictamen": "aprobada",
             "volver": "/instituciones/penjamo"}
    pregunta = await operadora.post("/operacion/evidencias/revisar", datos)  # primero pregunta
    assert pregunta.status_code == 200 and "¿Aprobar la evidencia EV-DIFUSION-01" in pregunta.text
    reporte_id = re.search(r'name="reporte_id" value="([^"]+)"', pregunta.text).group(1)
    hecho = await operadora.post("/operacion/evidencias/revisar", {**datos, "reporte_id": reporte_id,
                                                                  "confirmado": "si"})
    assert "✔ Aceptado por convenios" in hecho.text and "convenios.objetivo.cumplido" in hecho.text
    # Confirmar otra vez (un doble clic) manda el mismo reporte: el mismo desenlace, nada nuevo.
    otra = await operadora.post("/operacion/evidencias/revisar", {**datos, "reporte_id": reporte_id,
                                                                 "confirmado": "si"})
    assert "ya se había procesado" in otra.text
    # Una acción inválida ni se pregunta: rechazar sin motivo.
    r = await operadora.post("/operacion/evidencias/revisar", {**datos, "dictamen": "rechazada"})
    assert r.status_code == 400 and "No se envió" in r.text


async def test_la_dlq_se_reenvia_una_sola_vez_desde_la_consola(abrir, productor, observador):
    topico, dlq = topico_ingreso("penjamo"), topico_dlq(topico_ingreso("penjamo"))
    marca = unico("dlq")
    malo = await productor.send_and_wait(topico, b"{roto " + marca.encode(), key=b"penjamo",
                                         headers=[("content-type", b"application/cloudevents+json")])
    await observador.esperar(lambda e: e.type == EntradaRechazada.tipo and e.data["topico"] == topico
                             and e.data["offset"] == malo.offset)
    operadora = await abrir("operadora")
    listado = await operadora.get("/operacion/dlq")
    assert marca in listado.text and dlq in listado.text
    pregunta = await operadora.post("/operacion/dlq/reenviar", {"topico": dlq})
    assert "una sola vez" in pregunta.text
    hecho = await operadora.post("/operacion/dlq/reenviar", {"topico": dlq, "confirmado": "si"})
    assert re.search(rf"✔ \d+ mensaje\(s\) de {re.escape(dlq)} reenviados", hecho.text)
    otra = await operadora.post("/operacion/dlq/reenviar", {"topico": dlq, "confirmado": "si"})
    assert "Nada que reenviar." in otra.text


async def test_salud_de_la_consola(consola):
    async with httpx.AsyncClient(base_url=consola.url) as http:
        assert (await http.get("/salud/vivo")).json()["vivo"] is True
        listo = await http.get("/salud/listo")
        assert listo.status_code == 200 and listo.json()["listo"] is True
