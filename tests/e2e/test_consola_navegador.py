"""La consola en Chromium (Playwright) contra la plataforma real: en vivo, cada institución sola, verificación."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from alva import escenario
from alva.escenario import reporte
from esquemas.capacitacion import SesionCompletada
from esquemas.distintivos import DistintivoOtorgado
from esquemas.ingreso import ReporteSesionCompletada
from esquemas.notificaciones import NotificacionEnviada
from plataforma.embebido import carpeta_datos
from tests.conftest import unico
from tests.consola import CLAVE
from tests.e2e.ayudas import convenio, de_tipo, enviar, objetivo

pytestmark = pytest.mark.e2e
CHROMIUM = Path("/usr/bin/chromium")
ARGUMENTOS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TELEFONO = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
async def navegador():
    if not CHROMIUM.exists():
        pytest.fail(f"Falta {CHROMIUM}: `make` lo instala (python -m alva.consola.chromium), o apt-get install chromium")
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGUMENTOS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def abrir(navegador):
    """Una ventana nueva (sin cookies), como otra persona; con `usuario`, ya dentro de la consola."""
    contextos = []

    async def abrir_(consola, usuario: str | None = None, **opciones) -> Page:
        contexto = await navegador.new_context(locale="es-MX", **({"viewport": {"width": 1100, "height": 800}}
                                                                   | opciones))
        contextos.append(contexto)
        pagina = await contexto.new_page()
        if usuario is not None:
            await pagina.goto(consola.url + "/entrar")
            await pagina.get_by_label("Usuario").fill(usuario)
            await pagina.get_by_label("Clave").fill(CLAVE)
            await pagina.get_by_role("button", name="Entrar").click()
            await expect(pagina.get_by_role("button", name="Salir")).to_be_visible()
        return pagina

    yield abrir_
    for contexto in contextos:
        await contexto.close()


async def captura(pagina: Page, nombre: str) -> None:
    """Una captura de la página por prueba, en <datos>/capturas/ (el README muestra una copia de cada una)."""
    carpeta = carpeta_datos() / "capturas"
    carpeta.mkdir(parents=True, exist_ok=True)
    await pagina.screenshot(path=str(carpeta / f"{nombre}.png"))


async def otorgar_al_imss(productor, observador) -> tuple[str, DistintivoOtorgado, list]:
    corrida = unico("web")
    firmado = escenario.convenio(corrida, date.today())
    sesiones = escenario.sesiones(corrida, date.today())
    for r in [firmado, *sesiones]:
        await enviar(productor, r)
    cid = firmado.evento.data["convenio_id"]
    return cid, await observador.esperar(de_tipo(DistintivoOtorgado, convenio_id=cid)), sesiones


async def test_quien_opera_ve_pasar_el_reporte_y_luego_el_distintivo_sin_recargar(consola, abrir, productor,
                                                                                   observador):
    pagina = await abrir(consola, "operadora")
    assert pagina.url.endswith("/operacion/vivo")  # quien opera llega a lo que pasa ahora
    await expect(pagina.locator("#estado-vivo")).to_have_text("En vivo")
    # Sigue a una institución, como en una plataforma con tráfico: la página en vivo guarda las últimas 500 líneas,
    # y lo que otras pruebas publican en el mismo broker no debe sacar de la vista lo que esta prueba mira.
    await pagina.get_by_label("Institución", exact=True).fill(escenario.IMSS)
    await pagina.get_by_role("button", name="Filtrar").click()
    await expect(pagina).to_have_url(re.compile(rf"/operacion/vivo\?institucion={escenario.IMSS}"))
    await expect(pagina.locator("#estado-vivo")).to_have_text("En vivo")
    await pagina.evaluate("window.sinRecargar = true")  # una recarga lo borraría

    # Un script envía el convenio y las tres sesiones del IMSS, como lo haría su sistema.
    cid, otorgado, sesiones = await otorgar_al_imss(productor, observador)
    lineas = pagina.locator("#lineas li")
    await expect(lineas.filter(has_text="ingreso.sesion.completada")
                 .filter(has_text=sesiones[0].evento.data["sesion_id"])).to_be_visible()
    linea_premio = lineas.filter(has_text="distintivos.distintivo.otorgado").filter(
        has_text=otorgado.data["distintivo_id"])
    await expect(linea_premio).to_be_visible()
    assert await pagina.evaluate("window.sinRecargar") is True
    await captura(pagina, "en-vivo")

    datos = sesiones[0].evento.data
    estado = pagina.locator("#estado-vivo")

    async def otra_sesion(sufijo: str):
        """Otra sesión del IMSS, ya completada por capacitacion; la línea de su reporte en la página."""
        sesion_id = f"{datos['sesion_id']}-{sufijo}"
        await enviar(productor, reporte(escenario.IMSS,
                                        ReporteSesionCompletada.model_validate({**datos, "sesion_id": sesion_id})))
        await observador.esperar(de_tipo(SesionCompletada, sesion_id=sesion_id))
        return lineas.filter(has_text="ingreso.sesion.completada").filter(has_text=sesion_id)

    # La pausa guarda lo que llega (la cadena puede seguir publicando: avisos, correos); reanudar lo muestra.
    await pagina.get_by_role("button", name="Pausar").click()
    await expect(estado).to_have_text(re.compile(r"^En pausa"))
    linea_otra = await otra_sesion("P")
    await expect(estado).to_have_text(re.compile(r"^En pausa: \d+ evento\(s\) nuevo\(s\) esperan$"))
    assert await linea_otra.count() == 0
    await pagina.get_by_role("button", name="Reanudar").click()
    await expect(linea_otra).to_be_visible()
    await expect(estado).to_have_text("En vivo")

    # Quien sube a leer no pierde su lugar: lo que llega espera abajo (la ventana no se recorta bajo sus ojos) y
    # aparece al bajar hasta el final. Una lista baja, para que haya dónde subir.
    await pagina.evaluate("var l = document.getElementById('lineas'); l.style.maxHeight = '5rem'; l.scrollTop = 0")
    primera = await pagina.evaluate("document.getElementById('lineas').firstElementChild.dataset.id")
    linea_tercera = await otra_sesion("Q")
    await expect(estado).to_have_text(re.compile(r"^Leyendo más arriba: \d+ evento\(s\) nuevo\(s\) abajo$"))
    assert await linea_tercera.count() == 0
    assert await pagina.evaluate("[document.getElementById('lineas').scrollTop, "
                                 "document.getElementById('lineas').firstElementChild.dataset.id]") == [0, primera]
    await pagina.evaluate("var l = document.getElementById('lineas'); l.scrollTop = l.scrollHeight")
    await expect(linea_tercera).to_be_visible()
    await expect(estado).to_have_text("En vivo")

    # Elegir el distintivo abre su cadena: del reporte que lo completó al correo de la institución.
    await observador.esperar(lambda e: e.type == NotificacionEnviada.tipo and e.data["evento_id"] == str(otorgado.id))
    await linea_premio.get_by_role("link").click()
    arbol = pagina.locator(".arbol")
    await expect(arbol).to_contain_text("ingreso.sesion.completada")
    await expect(arbol).to_contain_text("notificaciones.notificacion.enviada")
    await expect(pagina.locator(".elegido")).to_contain_text(otorgado.data["distintivo_id"])
    await captura(pagina, "cadena")


async def test_las_paginas_de_quien_opera(consola, abrir):
    pagina = await abrir(consola, "operadora")
    await pagina.keyboard.press("Tab")  # lo primero que enfoca el teclado: saltar al contenido
    await expect(pagina.get_by_role("link", name="Saltar al contenido")).to_be_focused()
    for ruta, titulo, nombre in [("/operacion/instituciones", "Instituciones", "instituciones"),
                                 ("/operacion/rechazos", "Rechazos", "rechazos"),
                                 ("/operacion/dlq", "Mensajes muertos (DLQ)", "dlq"),
                                 ("/operacion/servicios", "Servicios", "servicios"),
                                 ("/instituciones/imss-guanajuato", "Delegación Guanajuato del IMSS", "institucion-operador"),
                                 ("/emisores/prodheg", "Procuraduría de los Derechos Humanos del Estado de Guanajuato",
                                  "emisor")]:
        respuesta = await pagina.goto(consola.url + ruta)
        assert respuesta.status == 200, ruta
        await expect(pagina.get_by_role("heading", level=1)).to_have_text(titulo)
        await captura(pagina, nombre)
    # Los cuatro servicios de la prueba responden su disponibilidad (en una máquina cargada, quizá a la segunda).
    for _ in range(10):
        await pagina.goto(consola.url + "/operacion/servicios")
        if await pagina.locator(".salud li.bien").count() == 4:
            break
        await pagina.wait_for_timeout(1000)
    await expect(pagina.locator(".salud li.bien")).to_have_count(4)


async def test_una_institucion_solo_ve_la_suya(consola, abrir, productor, observador):
    # Pénjamo también tiene convenio y distintivo: hay algo que el IMSS no debe ver.
    cid_penjamo = f"ALVA-GTO-PENJAMO-{unico('web')}"
    await enviar(productor, convenio(cid_penjamo, "penjamo", [objetivo("sesiones", "sesiones_impartidas", 1)]))
    await enviar(productor, reporte("penjamo", ReporteSesionCompletada(
        sesion_id=f"{cid_penjamo}-S1", convenio_id=cid_penjamo, tema="Masculinidades no violentas",
        modalidad="presencial", fecha=date.today() - timedelta(days=1), horas=3, facilitador="IMUG",
        asistentes=["pen-0041", "pen-0107"])))
    del_penjamo = await observador.esperar(de_tipo(DistintivoOtorgado, convenio_id=cid_penjamo))
    _, del_imss, _ = await otorgar_al_imss(productor, observador)

    pagina = await abrir(consola, "imss")
    assert pagina.url.endswith("/instituciones/imss-guanajuato")
    await expect(pagina.get_by_role("heading", level=1)).to_have_text("Delegación Guanajuato del IMSS")
    await expect(pagina.locator("main")).to_contain_text(del_imss.data["distintivo_id"])
    await expect(pagina.get_by_role("navigation")).not_to_contain_text("En vivo")
    contenido = await pagina.content()
    assert "penjamo" not in contenido.lower() and del_penjamo.data["distintivo_id"] not in contenido
    await captura(pagina, "institucion")

    # Su credencial se descarga; la de otra, por ninguna ruta.
    propia = await pagina.request.get(
        f"{consola.url}/instituciones/imss-guanajuato/distintivos/{del_imss.data['distintivo_id']}.jwt")
    assert propia.status == 200 and await propia.text() == del_imss.data["credencial_jwt"]
    ajena = del_penjamo.data["distintivo_id"]
    for ruta, codigos in [("/instituciones/penjamo", {404}), (f"/instituciones/penjamo/distintivos/{ajena}.jwt", {404}),
                          (f"/instituciones/imss-guanajuato/distintivos/{ajena}.jwt", {404}),
                          ("/operacion/vivo", {403}), ("/operacion/instituciones", {403}),
                          ("/operacion/rechazos?institucion=penjamo", {403}), ("/operacion/dlq", {403}),
                          ("/operacion/servicios", {403}), (f"/operacion/cadena/{del_penjamo.id}", {403}),
                          ("/operacion/vivo/eventos?institucion=penjamo", {403})]:
        respuesta = await pagina.request.get(consola.url + ruta)
        assert respuesta.status in codigos, (ruta, respuesta.status)
        assert "pen-0041" not in await respuesta.text()
    respuesta = await pagina.goto(consola.url + "/instituciones/penjamo")
    assert respuesta.status == 404
    await expect(pagina.get_by_role("heading", level=1)).to_have_text("No encontrado")

    # En un teléfono, lo mismo, legible.
    telefono = await abrir(consola, "imss", **TELEFONO)
    await expect(telefono.get_by_role("heading", level=1)).to_have_text("Delegación Guanajuato del IMSS")
    assert await telefono.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    await captura(telefono, "institucion-telefono")


async def test_la_pagina_publica_dice_valida_y_tras_revocar_revocada(consola, abrir, productor, observador, tmp_path):
    _, otorgado, _ = await otorgar_al_imss(productor, observador)
    did, token = otorgado.data["distintivo_id"], otorgado.data["credencial_jwt"]
    archivo = tmp_path / f"distintivo-{did}.jwt"
    archivo.write_text(token)

    # Cualquiera, sin cuenta, abre la URL que es el `id` de la credencial.
    extrano = await abrir(consola)
    await extrano.goto(otorgado.data["credencial"]["id"])
    await expect(extrano.locator("#veredicto")).to_have_text("Credencial válida")
    await expect(extrano.locator(".resumen")).to_contain_text(
        "Procuraduría de los Derechos Humanos del Estado de Guanajuato otorgó el Distintivo ALVA a Delegación "
        "Guanajuato del IMSS")
    await captura(extrano, "distintivo-valido")
    # O sube el archivo de la credencial.
    await extrano.goto(consola.url + "/verificar")
    await extrano.get_by_label("Archivo de la credencial").set_input_files(str(archivo))
    await extrano.get_by_role("button", name="Verificar").click()
    await expect(extrano.locator("#veredicto")).to_have_text("Credencial válida")
    await captura(extrano, "verificar")

    # Quien opera revoca el distintivo desde la consola: pide motivo y confirmación, y muestra el desenlace.
    operadora = await abrir(consola, "operadora")
    await operadora.goto(consola.url + "/instituciones/imss-guanajuato")
    tarjeta = operadora.locator("section.tarjeta").filter(has=operadora.locator(f'a[href="/distintivos/{did}"]'))
    await tarjeta.get_by_label("Motivo de la revocación").fill("Se acreditó un incumplimiento grave del convenio")
    await tarjeta.get_by_role("button", name="Revocar…").click()
    await expect(operadora.locator(".pregunta")).to_contain_text(did)
    await captura(operadora, "confirmar")
    await operadora.get_by_role("button", name="Confirmar").click()
    await expect(operadora.get_by_role("status")).to_contain_text("Aceptado por distintivos: distintivos.distintivo.revocado")
    await captura(operadora, "resultado")

    # La misma página pública, ahora: revocada, con su motivo; y el archivo subido, también.
    await extrano.goto(otorgado.data["credencial"]["id"])
    await expect(extrano.locator("#veredicto")).to_have_text("Credencial revocada")
    await expect(extrano.locator("main")).to_contain_text("Se acreditó un incumplimiento grave del convenio")
    await captura(extrano, "distintivo-revocado")
    await extrano.goto(consola.url + "/verificar")
    await extrano.get_by_label("O pegue la credencial (VC-JWT)").fill(token)
    await extrano.get_by_role("button", name="Verificar").click()
    await expect(extrano.locator("#veredicto")).to_have_text("Credencial revocada")


async def test_la_portada_y_la_entrada(consola, abrir):
    pagina = await abrir(consola)
    await pagina.goto(consola.url + "/")
    assert await pagina.locator("html").get_attribute("lang") == "es-MX"
    await captura(pagina, "portada")
    await pagina.goto(consola.url + "/entrar")
    await pagina.get_by_label("Usuario").fill("operadora")
    await pagina.get_by_label("Clave").fill("no es la clave")
    await pagina.get_by_role("button", name="Entrar").click()
    await expect(pagina.get_by_role("alert")).to_have_text("Usuario o clave incorrectos.")
    await captura(pagina, "entrar")

