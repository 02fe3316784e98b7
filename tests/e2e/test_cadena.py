"""La cadena completa por el broker real: convenio, sesiones, objetivos, distintivo y correo."""

from datetime import date

import pytest

from alva import escenario
from esquemas.capacitacion import SesionCompletada
from esquemas.convenios import ConvenioFirmado, ObjetivoCumplido
from esquemas.distintivos import DistintivoOtorgado
from esquemas.notificaciones import NotificacionEnviada
from tests.conftest import unico
from tests.e2e.ayudas import de_tipo, enviar

pytestmark = pytest.mark.e2e


async def test_la_cadena_otorga_el_distintivo_y_el_imss_recibe_su_correo(productor, observador, buzon):
    # PRODHEG registra el convenio con el IMSS Guanajuato; el IMSS reporta tres sesiones.
    corrida = unico("cadena")
    convenio = escenario.convenio(corrida, date.today())
    convenio_id = convenio.evento.data["convenio_id"]
    for reporte in [convenio, *escenario.sesiones(corrida, date.today())]:
        await enviar(productor, reporte)

    # Ambos objetivos se cumplen y el evaluador otorga el distintivo.
    for objetivo in ("capacitar-personal", "sesiones-capacitacion"):
        await observador.esperar(de_tipo(ObjetivoCumplido, convenio_id=convenio_id, objetivo_id=objetivo), 60)
    otorgado = await observador.esperar(de_tipo(DistintivoOtorgado, convenio_id=convenio_id), 60)
    assert otorgado.institucion == escenario.IMSS
    assert otorgado.data["vigencia"]["inicio"] == date.today().isoformat()
    assert otorgado.correlationid and otorgado.causationid

    # La notificación sale por SMTP real y se registra como enviada.
    enviada = await observador.esperar(de_tipo(NotificacionEnviada, evento_id=str(otorgado.id),
                                               destinatario=escenario.CORREO_IMSS), 60)
    correo = await buzon.esperar(lambda m: m["X-ALVA-Notificacion"] == enviada.data["notificacion_id"], 30)
    assert enviada.data["destinatario"] == escenario.CORREO_IMSS == correo["To"]
    assert correo["Subject"] == "PRODHEG otorga el Distintivo ALVA a Delegación Guanajuato del IMSS"
    texto = correo.get_body(preferencelist=("plain",)).get_content()
    assert otorgado.data["distintivo_id"] in texto and convenio_id in texto
    assert "Sensibilizar y capacitar a 10 personas del IMSS: 11 de 10" in texto
    # La credencial va adjunta, tal cual se firmó.
    adjuntos = {a.get_filename(): a.get_content() for a in correo.iter_attachments()}
    archivo = f"distintivo-{otorgado.data['distintivo_id']}.jwt"
    assert adjuntos[archivo].decode() == otorgado.data["credencial_jwt"]
    emisor = otorgado.data["credencial"]["issuer"]["id"]
    assert f"alva verificar {archivo}" in texto and f"{emisor}/jwks.json" in texto
    # Un solo distintivo para el convenio.
    assert sum(de_tipo(DistintivoOtorgado, convenio_id=convenio_id)(e) for _, e in observador.vistos) == 1


async def test_un_reporte_repetido_no_registra_dos_veces(productor, observador):
    corrida = unico("repetido")
    convenio = escenario.convenio(corrida, date.today())
    convenio_id = convenio.evento.data["convenio_id"]
    # El sistema de PRODHEG reenvía el mismo evento (mismo id) tres veces.
    for _ in range(3):
        await enviar(productor, convenio)
    # Una sesión detrás, en la misma partición: cuando su efecto se ve, los repetidos ya se procesaron.
    sesion = escenario.sesiones(corrida, date.today())[0]
    await enviar(productor, sesion)
    await observador.esperar(de_tipo(SesionCompletada, sesion_id=sesion.evento.data["sesion_id"]), 60)
    await observador.esperar(lambda e: e.type.endswith("objetivo.avanzado.v1") and e.data["convenio_id"] == convenio_id, 60)
    firmados = [e for _, e in observador.vistos if de_tipo(ConvenioFirmado, convenio_id=convenio_id)(e)]
    assert len(firmados) == 1
