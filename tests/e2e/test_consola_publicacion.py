"""Lo que el emisor publica (perfil, JWKS, lista de estado), verificado con otra biblioteca JOSE (jwcrypto)."""

import base64
import gzip
import json
from datetime import date

import httpx
import pytest
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from alva import escenario
from alva.escenario import OTORGANTE, reporte
from esquemas.distintivos import DistintivoOtorgado, DistintivoRevocado, ListaEstadoPublicada
from esquemas.ingreso import ReporteDistintivoRevocado
from tests.conftest import unico
from tests.e2e.ayudas import de_tipo, enviar

pytestmark = pytest.mark.integration


async def otorgar(productor, observador) -> DistintivoOtorgado:
    corrida = unico("pub")
    convenio = escenario.convenio(corrida, date.today())
    for r in [convenio, *escenario.sesiones(corrida, date.today())]:
        await enviar(productor, r)
    return await observador.esperar(de_tipo(DistintivoOtorgado, convenio_id=convenio.evento.data["convenio_id"]))


def verificar_con_jwcrypto(token: str, claves: jwk.JWKSet) -> dict:
    """Como lo haría cualquiera: la clave por el `kid` de la cabecera, EdDSA, y la carga útil si la firma vale."""
    firma = jws.JWS()
    firma.deserialize(token)
    clave = claves.get_key(firma.jose_header["kid"])
    assert clave is not None, "el kid de la credencial no está en el JWKS publicado"
    firma.allowed_algs = ["EdDSA"]
    firma.verify(clave, alg="EdDSA")
    return json.loads(firma.payload)


def bit(lista: dict, indice: int) -> bool:
    """El bit de la Bitstring Status List (W3C), decodificado aquí sin el código de ALVA."""
    codificada = lista["credentialSubject"]["encodedList"]
    assert codificada.startswith("u")  # multibase base64url
    datos = gzip.decompress(base64.urlsafe_b64decode(codificada[1:] + "=" * (-len(codificada[1:]) % 4)))
    return bool(datos[indice // 8] & (0x80 >> (indice % 8)))


async def test_un_extrano_verifica_con_las_claves_y_la_lista_que_nombra_la_credencial(consola, productor, observador):
    otorgado = await otorgar(productor, observador)
    token = otorgado.data["credencial_jwt"]
    sin_verificar = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert sin_verificar["issuer"]["id"] == f"{consola.url}/emisores/{OTORGANTE}"  # lo que publica la consola
    async with httpx.AsyncClient(timeout=10) as http:
        # El perfil del emisor (su id es el `issuer` de la credencial), en JSON-LD; de ahí, su JWKS.
        perfil = await http.get(sin_verificar["issuer"]["id"],
                                headers={"Accept": "application/ld+json"})
        assert perfil.status_code == 200 and perfil.headers["content-type"].startswith("application/ld+json")
        assert perfil.json()["type"] == ["Profile"] and perfil.json()["id"] == sin_verificar["issuer"]["id"]
        respuesta = await http.get(perfil.json()["jwks_uri"])
        assert respuesta.headers["content-type"].startswith("application/jwk-set+json")
        assert "max-age" in respuesta.headers["cache-control"]
        claves = jwk.JWKSet.from_json(respuesta.text)

        # La credencial verifica con jwcrypto; la misma con un solo carácter cambiado en su contenido, no.
        credencial = verificar_con_jwcrypto(token, claves)
        assert credencial["id"] == sin_verificar["id"] and credencial["credentialSubject"]["name"]
        cabecera, cuerpo, sello = token.split(".")
        alterado = json.dumps({**credencial, "validUntil": "2099-12-31T23:59:59Z"}).encode()
        falsa = ".".join([cabecera, base64.urlsafe_b64encode(alterado).rstrip(b"=").decode(), sello])
        with pytest.raises(JWException):
            verificar_con_jwcrypto(falsa, claves)

        # Lo que nombra la credencial responde: su logro (qué pide el programa, en palabras).
        logro = await http.get(credencial["credentialSubject"]["achievement"]["id"])
        assert logro.status_code == 200 and "Todos los objetivos del convenio cumplidos" in logro.text

        # Sin revocar: la lista de estado que la credencial nombra, firmada por el emisor, tiene su bit apagado.
        estado = credencial["credentialStatus"]
        indice, url_lista = int(estado["statusListIndex"]), estado["statusListCredential"]
        respuesta = await http.get(url_lista)
        assert respuesta.headers["content-type"].startswith("application/vc+jwt")
        assert not bit(verificar_con_jwcrypto(respuesta.text, claves), indice)

        # PRODHEG revoca el distintivo; la lista publicada en esa misma URL ya tiene el bit encendido.
        revocacion = reporte(OTORGANTE, ReporteDistintivoRevocado(distintivo_id=otorgado.data["distintivo_id"],
                                                                 motivo="Se acreditó un incumplimiento grave"))
        await enviar(productor, revocacion)
        revocado = await observador.esperar(de_tipo(DistintivoRevocado, distintivo_id=otorgado.data["distintivo_id"]))
        await observador.esperar(lambda e: e.type == ListaEstadoPublicada.tipo and e.causationid == revocado.causationid)
        lista = verificar_con_jwcrypto((await http.get(url_lista)).text, claves)
        assert lista["id"] == estado["statusListCredential"] and bit(lista, indice)

        # Y su página pública lo dice en palabras.
        pagina = await http.get(credencial["id"])
        assert pagina.status_code == 200 and "Credencial revocada" in pagina.text


async def test_el_jwks_publica_todas_las_claves_y_lo_desconocido_no_existe(consola):
    async with httpx.AsyncClient(base_url=consola.url, timeout=10) as http:
        claves = (await http.get(f"/emisores/{OTORGANTE}/jwks.json")).json()["keys"]
        assert claves and all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and "d" not in k for k in claves)
        pagina = await http.get(f"/emisores/{OTORGANTE}", headers={"Accept": "text/html"})
        assert pagina.status_code == 200 and "jwks.json" in pagina.text and claves[-1]["kid"] in pagina.text
        for ruta in ("/emisores/nadie", "/emisores/nadie/jwks.json", f"/emisores/{OTORGANTE}/listas/NINGUNO",
                     "/distintivos/no-existe"):
            assert (await http.get(ruta)).status_code == 404, ruta
