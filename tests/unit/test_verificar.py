"""`alva verificar` como lo usaría un extraño: con archivos, con las URL que nombra la credencial, o por la
entrada estándar; y la credencial verificada con otra biblioteca JOSE (jwcrypto), sin el código de ALVA."""

import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from jwcrypto import jwk, jws
from typer.testing import CliRunner

from alva.cli import app

from servicios.distintivos.claves import generar_clave, jwk_publica, kid, pem_publica
from servicios.distintivos.credencial import Emisor, credencial_ob3, firmar
from servicios.distintivos.lista_estado import ListaEstado, credencial_lista
from servicios.distintivos.verificar import Estado, verificar

pytestmark = pytest.mark.unit

RAIZ = Path(__file__).resolve().parents[2]
HOY = datetime.now(UTC).date()
INDICE = 7
CRITERIOS = ["Objetivo: Capacitar al menos a 400 personas: 428 de 400",
             "Objetivo: Brindar al menos 700 asesorías: 747 de 700"]


def emisor(base: str = "https://alva.prodheg.example", clave=None) -> Emisor:
    return Emisor("prodheg", "Procuraduría de los Derechos Humanos del Estado de Guanajuato", "https://prodheg.example",
                  clave or generar_clave(), f"{base}/emisores/prodheg")


def credencial(e: Emisor, desde: date = HOY - timedelta(days=1), hasta: date = HOY + timedelta(days=30)) -> str:
    return firmar(credencial_ob3(
        distintivo_id="d-celaya", programa="ALVA", programa_nombre="Distintivo ALVA", emisor=e,
        institucion_id="celaya", institucion_nombre="Municipio de Celaya", criterios=CRITERIOS, evidencia=[],
        valido_desde=desde, valido_hasta=hasta, emitida_en=datetime.now(UTC),
        lista_estado_url=f"{e.perfil}/listas/ALVA", indice_estado=INDICE), e)


def lista(e: Emisor, *revocados: int) -> str:
    bits = ListaEstado()
    for indice in revocados:
        bits.revocar(indice)
    return firmar(credencial_lista(bits, url=f"{e.perfil}/listas/ALVA", emisor=e, emitida_en=datetime.now(UTC)), e)


def jwks(*emisores: Emisor) -> str:
    return json.dumps({"keys": [jwk_publica(e.privada) for e in emisores]})


@dataclass
class Salida:
    returncode: int
    stdout: str
    stderr: str


def alva(*argumentos: str, entrada: str | None = None) -> Salida:
    """`alva verificar …` en este proceso (un subproceso tarda segundos en importar); el alias sí es un subproceso."""
    r = CliRunner().invoke(app, ["verificar", *argumentos], input=entrada)
    return Salida(r.exit_code, r.stdout, r.stderr)


@pytest.fixture
def archivos(tmp_path):
    """Lo que tendría quien recibió el correo: la credencial, el JWKS del emisor y sus listas de estado."""
    e = emisor()
    (tmp_path / "distintivo.jwt").write_text(credencial(e))
    (tmp_path / "vencido.jwt").write_text(credencial(e, HOY - timedelta(days=400), HOY - timedelta(days=2)))
    (tmp_path / "jwks.json").write_text(jwks(e))
    (tmp_path / "ajeno.json").write_text(jwks(emisor()))
    (tmp_path / "lista.jwt").write_text(lista(e))
    (tmp_path / "revocados.jwt").write_text(lista(e, INDICE))
    (tmp_path / "prodheg.pub.pem").write_text(pem_publica(e.privada))
    return tmp_path


def test_valida_con_archivos_dice_titular_programa_y_cifras(archivos):
    r = alva(str(archivos / "distintivo.jwt"), "--jwks", str(archivos / "jwks.json"),
             "--lista", str(archivos / "lista.jwt"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1] == "Credencial válida"
    assert "Municipio de Celaya (urn:alva:institucion:celaya)" in r.stdout
    assert "428 de 400" in r.stdout and "747 de 700" in r.stdout and "ALVA" in r.stdout
    datos = json.loads(alva(str(archivos / "distintivo.jwt"), "--jwks", str(archivos / "jwks.json"),
                            "--lista", str(archivos / "lista.jwt"), "--json").stdout)
    assert (datos["estado"], datos["valida"], datos["codigo_salida"], datos["programa"]) == ("valida", True, 0, "ALVA")
    assert datos["titular"] == {"id": "urn:alva:institucion:celaya", "nombre": "Municipio de Celaya"}
    assert datos["criterios"] == CRITERIOS


def test_revocada_y_vencida_salen_con_1(archivos):
    revocada = alva(str(archivos / "distintivo.jwt"), "--jwks", str(archivos / "jwks.json"),
                    "--lista", str(archivos / "revocados.jwt"), "--json")
    assert revocada.returncode == 1 and json.loads(revocada.stdout)["estado"] == "revocada"
    vencida = alva(str(archivos / "vencido.jwt"), "--jwks", str(archivos / "jwks.json"),
                   "--lista", str(archivos / "lista.jwt"))
    assert vencida.returncode == 1 and vencida.stdout.strip().splitlines()[-1].startswith("Credencial VENCIDA")


def test_firma_ajena_o_alterada_sale_con_2(archivos):
    ajena = alva(str(archivos / "distintivo.jwt"), "--jwks", str(archivos / "ajeno.json"), "--sin-red", "--json")
    assert ajena.returncode == 2 and json.loads(ajena.stdout)["estado"] == "firma_invalida"
    assert "no está entre las claves publicadas" in ajena.stdout
    cabecera, carga, firma = (archivos / "distintivo.jwt").read_text().split(".")
    alterada = f"{cabecera}.{carga[:-4]}AAAA.{firma}"
    r = alva("-", "--jwks", str(archivos / "jwks.json"), "--sin-red", entrada=alterada)
    assert r.returncode == 2 and "NO válida" in r.stdout.strip().splitlines()[-1]


def test_entrada_ilegible_sale_con_2_y_sin_claves_no_adivina(archivos):
    assert alva(str(archivos / "no-existe.jwt"), "--jwks", str(archivos / "jwks.json")).returncode == 2
    sin_claves = alva(str(archivos / "distintivo.jwt"), "--sin-red")
    assert sin_claves.returncode == 2 and "--jwks" in sin_claves.stderr


def test_sin_lista_y_sin_red_avisa_que_no_comprobo_la_revocacion(archivos):
    r = alva(str(archivos / "distintivo.jwt"), "--clave-publica", str(archivos / "prodheg.pub.pem"), "--sin-red")
    assert r.returncode == 0 and "– No se comprobó la revocación" in r.stdout


def test_el_alias_de_antes_sigue_funcionando(archivos):
    r = subprocess.run([sys.executable, "-m", "servicios.distintivos.verificar", str(archivos / "distintivo.jwt"),
                        "--clave-publica", str(archivos / "prodheg.pub.pem"),
                        "--lista-estado", str(archivos / "revocados.jwt")],
                       cwd=RAIZ, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "REVOCADA" in r.stdout


class _Publicacion(BaseHTTPRequestHandler):
    rutas: dict[str, tuple[str, bytes]] = {}

    def do_GET(self):  # noqa: N802 - nombre de http.server
        tipo, cuerpo = self.rutas.get(self.path, ("text/plain", b""))
        self.send_response(200 if cuerpo else 404)
        self.send_header("Content-Type", tipo)
        self.end_headers()
        self.wfile.write(cuerpo)

    def log_message(self, *_):
        pass


@pytest.fixture
def publicacion():
    """Un servidor HTTP en loopback que publica lo que publicaría la consola: JWKS y lista de estado."""
    _Publicacion.rutas = {}
    servidor = ThreadingHTTPServer(("127.0.0.1", 0), _Publicacion)
    hilo = threading.Thread(target=servidor.serve_forever, daemon=True)
    hilo.start()
    yield f"http://127.0.0.1:{servidor.server_address[1]}", _Publicacion.rutas
    servidor.shutdown()
    servidor.server_close()


def test_por_omision_toma_claves_y_lista_de_las_url_de_la_credencial(publicacion, tmp_path):
    base, rutas = publicacion
    # El otorgante rotó su clave: la credencial es de la anterior, la lista la firmó la nueva; el JWKS tiene ambas.
    anterior, nueva = emisor(base), emisor(base)
    rutas.update({"/emisores/prodheg/jwks.json": ("application/jwk-set+json", jwks(anterior, nueva).encode()),
                  "/emisores/prodheg/listas/ALVA": ("application/vc+jwt", lista(nueva, INDICE).encode())})
    (tmp_path / "d.jwt").write_text(credencial(anterior))
    r = alva(str(tmp_path / "d.jwt"), "--json")
    datos = json.loads(r.stdout)
    assert r.returncode == 1 and datos["estado"] == "revocada", r.stdout + r.stderr
    assert datos["fuentes"] == {"claves": f"{base}/emisores/prodheg/jwks.json",
                                "lista": f"{base}/emisores/prodheg/listas/ALVA"}
    rutas["/emisores/prodheg/listas/ALVA"] = ("application/vc+jwt", lista(nueva).encode())
    assert alva(str(tmp_path / "d.jwt")).returncode == 0
    # Sin quien publique, no hay veredicto: código 4.
    rutas.clear()
    caida = alva(str(tmp_path / "d.jwt"))
    assert caida.returncode == 4 and "jwks.json respondió 404" in caida.stderr


def test_una_biblioteca_jose_independiente_verifica_la_credencial():
    # jwcrypto no sabe nada de ALVA: toma la clave del JWKS por el kid y comprueba la firma EdDSA.
    e = emisor()
    token = credencial(e)
    conjunto = jwk.JWKSet.from_json(jwks(e))
    objeto = jws.JWS()
    objeto.deserialize(token)
    cabecera = objeto.jose_header
    assert cabecera == {"alg": "EdDSA", "typ": "vc+jwt", "kid": kid(e.privada)}
    clave = conjunto.get_key(cabecera["kid"])
    assert clave.thumbprint() == cabecera["kid"]  # el kid es la huella RFC 7638 de la clave
    objeto.verify(clave, alg="EdDSA")
    reclamos = json.loads(objeto.payload)
    assert reclamos["credentialSubject"]["id"] == "urn:alva:institucion:celaya"
    # Y lo que jwcrypto acepta, ALVA también: con el mismo JWKS.
    assert verificar(token, json.loads(jwks(e)), lista(e)).estado is Estado.valida
