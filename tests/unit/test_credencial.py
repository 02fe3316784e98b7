"""Credencial OB3 del distintivo: emitir, firmar como VC-JWT, revocar y verificar sin conexión."""

import base64
import json
from datetime import UTC, date, datetime

import jwt
import pytest

from servicios.distintivos.claves import (
    cargar_clave_privada,
    clave_de_archivo_o_generar,
    generar_clave,
    kid,
    pem_privada,
    pem_publica,
)
from servicios.distintivos.credencial import Emisor, credencial_ob3, firmar
from servicios.distintivos.lista_estado import TAMANO, ListaEstado, credencial_lista
from servicios.distintivos.verificar import Estado, verificar

pytestmark = pytest.mark.unit

LISTA_URL = "https://prodheg.example/estado/1"
INDICE = 42
DENTRO = datetime(2025, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def emisor() -> Emisor:
    nombre = "Procuraduría de los Derechos Humanos del Estado de Guanajuato"
    return Emisor(id="prodheg", nombre=nombre, url="https://prodheg.example", clave=generar_clave())


def _credencial(emisor: Emisor, desde: date = date(2025, 1, 15), hasta: date = date(2026, 1, 14)) -> dict:
    return credencial_ob3(
        distintivo_id="6f1c2d3e-0000-4000-8000-000000000001", programa="ALVA",
        programa_nombre="Distintivo ALVA contra la violencia hacia las mujeres", emisor=emisor,
        institucion_id="imss-guanajuato", institucion_nombre="IMSS Guanajuato",
        criterios=["Capacitó al 80 % del personal.", "Instaló un protocolo de atención."],
        evidencia=[{"nombre": "Constancias", "descripcion": "Constancias de capacitación del personal."}],
        valido_desde=desde, valido_hasta=hasta,
        emitida_en=datetime(2025, 1, 15, 10, 30, tzinfo=UTC), lista_estado_url=LISTA_URL, indice_estado=INDICE,
    )


def _lista_jwt(emisor: Emisor, *revocados: int) -> str:
    lista = ListaEstado()
    for indice in revocados:
        lista.revocar(indice)
    return firmar(credencial_lista(lista, url=LISTA_URL, emisor=emisor, emitida_en=DENTRO), emisor)


def _b64(datos: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(datos).encode()).rstrip(b"=").decode()


def test_ida_y_vuelta_con_todo_en_orden(emisor):
    token = firmar(_credencial(emisor), emisor)
    cabecera = jwt.get_unverified_header(token)
    assert cabecera == {"alg": "EdDSA", "typ": "vc+jwt", "kid": kid(emisor.clave)}
    informe = verificar(token, emisor.clave.public_key(), _lista_jwt(emisor), ahora=DENTRO)
    assert informe.valida, informe.hallazgos
    assert informe.fallos == [] and informe.avisos == [] and len(informe.hallazgos) == 4
    c = informe.credencial
    assert c["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert c["validFrom"] == "2025-01-15T00:00:00Z" and c["validUntil"] == "2026-01-14T23:59:59Z"
    assert c["credentialSubject"]["achievement"]["id"] == "https://prodheg.example/perfil/programas/ALVA"
    assert c["credentialStatus"]["statusListIndex"] == "42"
    assert (c["iss"], c["sub"], c["jti"]) == (
        "https://prodheg.example/perfil", "urn:alva:institucion:imss-guanajuato", c["id"])
    assert c["exp"] == int(datetime(2026, 1, 14, 23, 59, 59, tzinfo=UTC).timestamp())


def test_sin_lista_de_estado_es_valida_con_aviso(emisor):
    informe = verificar(firmar(_credencial(emisor), emisor), emisor.clave.public_key(), ahora=DENTRO)
    assert informe.valida and len(informe.avisos) == 1 and "No se comprobó la revocación" in informe.avisos[0]


def test_carga_alterada_se_rechaza(emisor):
    cabecera, _, firma = firmar(_credencial(emisor), emisor).split(".")
    alterada = _credencial(emisor)
    alterada["credentialSubject"]["name"] = "Otra institución"
    informe = verificar(f"{cabecera}.{_b64(alterada)}.{firma}", emisor.clave.public_key(), ahora=DENTRO)
    assert not informe.valida and informe.credencial is None
    assert "no es válida" in informe.fallos[0] and informe.estado is Estado.firma_invalida


def test_otra_clave_se_rechaza(emisor):
    informe = verificar(firmar(_credencial(emisor), emisor), generar_clave().public_key(), ahora=DENTRO)
    assert not informe.valida and "firma" in informe.fallos[0] and informe.estado is Estado.firma_invalida


def test_alg_none_se_rechaza(emisor):
    token = f"{_b64({'alg': 'none', 'typ': 'vc+jwt'})}.{_b64(_credencial(emisor))}."
    informe = verificar(token, emisor.clave.public_key(), ahora=DENTRO)
    assert not informe.valida and "sólo se acepta EdDSA" in informe.fallos[0]
    assert informe.estado is Estado.firma_invalida


def test_vencida(emisor):
    informe = verificar(firmar(_credencial(emisor), emisor), emisor.clave.public_key(),
                        ahora=datetime(2026, 1, 15, tzinfo=UTC))
    assert not informe.valida and informe.fallos == ["La credencial venció el 2026-01-14."]
    assert informe.estado is Estado.vencida


def test_aun_no_vigente(emisor):
    informe = verificar(firmar(_credencial(emisor), emisor), emisor.clave.public_key(),
                        ahora=datetime(2025, 1, 14, 23, 59, tzinfo=UTC))
    assert not informe.valida and "aún no es válida" in informe.fallos[0] and informe.estado is Estado.aun_no_vigente


def test_revocada(emisor):
    informe = verificar(firmar(_credencial(emisor), emisor), emisor.clave.public_key(),
                        _lista_jwt(emisor, INDICE), ahora=DENTRO)
    assert not informe.valida and any("REVOCADA" in f for f in informe.fallos) and informe.estado is Estado.revocada


def test_lista_de_estado_con_firma_ajena(emisor):
    otro = Emisor(id=emisor.id, nombre=emisor.nombre, url=emisor.url, clave=generar_clave())
    informe = verificar(firmar(_credencial(emisor), emisor), emisor.clave.public_key(),
                        _lista_jwt(otro), ahora=DENTRO)
    assert not informe.valida and "lista de estado" in informe.fallos[0] and informe.estado is Estado.no_valida


def test_lista_de_estado_codifica_y_decodifica():
    lista = ListaEstado()
    assert len(lista) == TAMANO == 131072
    for indice in (0, 7, 8, 131071):
        lista.revocar(indice)
    codificada = lista.codificar()
    assert codificada.startswith("u") and "=" not in codificada and "+" not in codificada
    datos = ListaEstado.decodificar(codificada).datos
    assert (datos[0], datos[1], datos[-1]) == (0b1000_0001, 0b1000_0000, 0b0000_0001)
    leida = ListaEstado.decodificar(codificada)
    assert [leida.revocado(i) for i in (0, 1, 6, 7, 8, 9, 131070, 131071)] == [
        True, False, False, True, True, False, False, True]
    with pytest.raises(IndexError):
        leida.revocado(TAMANO)


def test_claves_en_archivo(tmp_path):
    ruta = tmp_path / "claves" / "prodheg.pem"
    clave = clave_de_archivo_o_generar(ruta)
    assert ruta.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "claves" / "prodheg.pub.pem").read_text() == pem_publica(clave)
    assert pem_privada(clave_de_archivo_o_generar(ruta)) == pem_privada(clave)
    assert kid(cargar_clave_privada(ruta.read_text())) == kid(clave.public_key())
