"""`alva claves rotar`: una clave nueva firma de ahí en adelante y lo firmado con la anterior se sigue verificando
con el JWKS publicado (verificado con PyJWT, no con nuestro verificador)."""

import json
from datetime import date

import jwt
import pytest
from typer.testing import CliRunner

from alva.cli import app
from servicios.distintivos.emision import Motor
from servicios.distintivos.reglas import CARPETA, cargar

pytestmark = pytest.mark.unit


def _motor(carpeta) -> Motor:
    motor = Motor(cargar(CARPETA), "https://alva.example")
    motor.cargar_claves(carpeta, crear=False)
    return motor


def _emitir(motor: Motor) -> str:
    reglas = motor.reglas("ALVA")
    _, token = motor.credencial(reglas, distintivo_id="d-1", institucion_id="penjamo", institucion_nombre="Pénjamo",
                                criterios=["Capacitó a 428 de 400 personas."], evidencia=[], desde=date(2026, 1, 5),
                                hasta=date(2027, 1, 4), indice=7)
    return token


def _verificar(token: str, jwks: dict) -> dict:
    """Como lo haría un tercero: la clave del JWKS por el `kid` de la cabecera."""
    kid = jwt.get_unverified_header(token)["kid"]
    clave = jwt.PyJWKSet.from_dict(jwks)[kid]
    return jwt.decode(token, clave.key, algorithms=["EdDSA"], options={"verify_exp": False, "verify_nbf": False,
                                                                        "verify_aud": False})


def test_rotar_agrega_una_clave_que_firma_y_la_anterior_sigue_verificando(tmp_path):
    cli, carpeta = CliRunner(), tmp_path / "claves"
    primera = cli.invoke(app, ["claves", "rotar", "prodheg", "--carpeta", str(carpeta), "--json"])
    assert primera.exit_code == 0, primera.output
    vieja = _emitir(_motor(carpeta))

    segunda = cli.invoke(app, ["claves", "rotar", "prodheg", "--carpeta", str(carpeta), "--json"])
    assert segunda.exit_code == 0, segunda.output
    nueva_kid = json.loads(segunda.output)["kid"]
    listadas = json.loads(cli.invoke(app, ["claves", "listar", "--carpeta", str(carpeta), "--json"]).output)
    assert [c["firma"] for c in listadas] == [False, True] and listadas[-1]["kid"] == nueva_kid
    assert all((carpeta / "prodheg" / c["archivo"].rsplit("/", 1)[-1]).stat().st_mode & 0o077 == 0 for c in listadas)

    motor = _motor(carpeta)
    nueva = _emitir(motor)
    jwks = motor.jwks("prodheg")
    assert jwt.get_unverified_header(nueva)["kid"] == nueva_kid != jwt.get_unverified_header(vieja)["kid"]
    assert {k["kid"] for k in jwks["keys"]} == {c["kid"] for c in listadas}
    for token in (vieja, nueva):
        assert "penjamo" in json.dumps(_verificar(token, jwks))


def test_rotar_a_un_id_invalido_o_donde_no_se_puede_escribir_dice_por_que(tmp_path):
    cli = CliRunner()
    malo = cli.invoke(app, ["claves", "rotar", "PRODHEG!", "--carpeta", str(tmp_path)])
    assert malo.exit_code == 2 and "no es un id" in malo.output
    archivo = tmp_path / "no-es-carpeta"
    archivo.write_text("")
    sin_permiso = cli.invoke(app, ["claves", "rotar", "prodheg", "--carpeta", str(archivo)])
    assert sin_permiso.exit_code == 2 and "No se pudo escribir" in sin_permiso.output
