"""La consola sin broker ni base: cuentas y su CLI, el freno a quien adivina, la cadena de un evento y detalles."""

import json
import stat
import uuid
from datetime import UTC, date, datetime

import pytest
from typer.testing import CliRunner

from alva.cadena import Resumen, armar
from alva.cli import app as alva
from alva.consola.app import clase_topico, fecha
from alva.consola.seguridad import Frenos, puede_ver
from alva.consola.usuarios import Cuentas, Usuario, UsuarioInvalido, a_json, desde_json, nuevo
from alva.consola.verificacion import _otorgante_de
from esquemas import CloudEvent

pytestmark = pytest.mark.unit
CLAVE = "una clave bastante larga"


def test_una_cuenta_guarda_solo_el_hash_y_se_autentica(tmp_path):
    cuentas = Cuentas(tmp_path / "consola" / "usuarios.json")
    cuentas.guardar({"ana": nuevo("ana", "operador", CLAVE), "imss": nuevo("imss", "institucion", CLAVE,
                                                                           "imss-guanajuato")})
    texto = cuentas.archivo.read_text()
    assert CLAVE not in texto and "$argon2id$" in texto
    assert stat.S_IMODE(cuentas.archivo.stat().st_mode) == 0o600
    assert cuentas.autenticar("ana", CLAVE).opera
    assert cuentas.autenticar("ana", "otra clave cualquiera") is None
    assert cuentas.autenticar("nadie", CLAVE) is None
    assert cuentas.autenticar("imss", CLAVE).institucion == "imss-guanajuato"


@pytest.mark.parametrize("usuario,rol,clave,institucion", [
    ("Ana", "operador", CLAVE, None),  # mayúsculas
    ("ana", "admin", CLAVE, None),  # rol desconocido
    ("ana", "institucion", CLAVE, None),  # institución sin su id
    ("ana", "operador", CLAVE, "imss-guanajuato"),  # quien opera no es de una institución
    ("ana", "operador", "corta", None),  # clave corta
])
def test_cuentas_invalidas(usuario, rol, clave, institucion):
    with pytest.raises(UsuarioInvalido):
        nuevo(usuario, rol, clave, institucion)


def test_las_cuentas_propias_en_json_solo_con_hash():
    propias = a_json({"ana": nuevo("ana", "operador", CLAVE)})
    assert desde_json(propias)["ana"].rol == "operador"
    with pytest.raises(UsuarioInvalido, match="hash argon2"):
        desde_json(json.dumps({"ana": {"rol": "operador", "hash": CLAVE}}))
    assert Cuentas("/no/existe", en_entorno=propias).buscar("ana") is not None  # ALVA_USUARIOS_CONSOLA manda


def test_el_archivo_se_relee_al_cambiar(tmp_path):
    cuentas = Cuentas(tmp_path / "usuarios.json")
    assert cuentas.todas() == {}
    cuentas.guardar({"ana": nuevo("ana", "operador", CLAVE)})
    assert set(cuentas.todas()) == {"ana"}
    cuentas.guardar({})
    assert cuentas.buscar("ana") is None  # una cuenta quitada deja de valer


def test_el_cli_de_cuentas(tmp_path, monkeypatch):
    monkeypatch.setenv("ALVA_DATOS", str(tmp_path))
    monkeypatch.delenv("ALVA_USUARIOS_CONSOLA", raising=False)
    (tmp_path / "clave").write_text(CLAVE + "\n")
    correr = CliRunner().invoke
    r = correr(alva, ["consola", "usuario", "agregar", "imss", "--rol", "institucion", "--institucion",
                      "imss-guanajuato", "--clave-archivo", str(tmp_path / "clave")])
    assert r.exit_code == 0, r.output
    r = correr(alva, ["consola", "usuario", "agregar", "ana", "--rol", "operador"], input=f"{CLAVE}\n{CLAVE}\n")
    assert r.exit_code == 0, r.output
    assert correr(alva, ["consola", "usuario", "agregar", "ana", "--rol", "operador"],
                  input=f"{CLAVE}\n{CLAVE}\n").exit_code == 2  # ya existe
    r = correr(alva, ["consola", "usuarios", "--json"])
    assert json.loads(r.stdout) == [{"usuario": "ana", "rol": "operador", "institucion": None},
                                    {"usuario": "imss", "rol": "institucion", "institucion": "imss-guanajuato"}]
    assert Cuentas(tmp_path / "consola" / "usuarios.json").autenticar("ana", CLAVE) is not None
    assert correr(alva, ["consola", "usuario", "quitar", "ana"]).exit_code == 0
    assert correr(alva, ["consola", "usuario", "quitar", "ana"]).exit_code == 1
    assert CLAVE not in (tmp_path / "consola" / "usuarios.json").read_text()


async def test_cada_falla_duplica_la_espera_hasta_un_tope():
    frenos = Frenos(base_s=0.5, tope_s=2.0)
    assert frenos.espera("u:ana", "ip:1") == 0
    for esperada in (0.5, 1.0, 2.0, 2.0):
        frenos.fallo("u:ana", "ip:1")
        assert frenos.espera("u:ana", "ip:9") == esperada  # por el usuario, aunque cambie de dirección
    assert frenos.espera("u:otra", "ip:1") == 2.0  # y por la dirección, aunque cambie de usuario
    frenos.acierto("u:ana", "ip:1")
    assert frenos.espera("u:ana", "ip:1") == 0


def test_quien_ve_que():
    operadora = Usuario("ana", "operador", "$argon2id$x")
    imss = Usuario("imss", "institucion", "$argon2id$x", "imss-guanajuato")
    assert puede_ver(operadora, "penjamo") and puede_ver(imss, "imss-guanajuato") and not puede_ver(imss, "penjamo")


def _evento(tipo: str, causa: CloudEvent | None, minuto: int) -> CloudEvent:
    return CloudEvent(specversion="1.0", id=str(uuid.uuid4()), source="/prueba", type=f"mx.alva.{tipo}.v1",
                      time=datetime(2026, 11, 23, 10, minuto, tzinfo=UTC), data={}, institucion="imss-guanajuato",
                      causationid=str(causa.id) if causa else None)


def test_la_cadena_del_reporte_al_correo_resume_los_muchos_hermanos():
    reporte = _evento("ingreso.sesion.completada", None, 0)
    sesion = _evento("capacitacion.sesion.completada", reporte, 1)
    constancias = [_evento("capacitacion.constancia.emitida", reporte, 1) for _ in range(6)]
    cumplido = _evento("convenios.objetivo.cumplido", sesion, 2)
    correo = _evento("notificaciones.notificacion.enviada", cumplido, 3)
    ajeno = _evento("ingreso.sesion.completada", None, 4)
    vistos = [("t", 0, n, e) for n, e in enumerate([correo, ajeno, reporte, sesion, *constancias, cumplido])]
    cadena = armar(vistos, str(cumplido.id))
    assert cadena.raiz.evento is reporte and cadena.raiz.en_linaje
    assert [v[3] for v in cadena.vistos] == [reporte, sesion, cumplido, correo, *constancias]
    hijo_sesion, *resto = cadena.raiz.hijos
    assert hijo_sesion.evento is sesion and hijo_sesion.en_linaje
    assert hijo_sesion.hijos[0].elegido and hijo_sesion.hijos[0].hijos[0].evento is correo
    assert len(resto) == 3 and resto[-1] == Resumen("mx.alva.capacitacion.constancia.emitida.v1", 4)
    assert armar(vistos, "no-esta") is None


def test_detalles():
    assert fecha("2026-11-22T00:00:00Z") == "22 de noviembre de 2026" == fecha(date(2026, 11, 22))
    assert fecha("no es fecha") == "no es fecha"
    assert clase_topico("alva.ingreso.penjamo") == "t-ingreso" and clase_topico("alva.convenios") == "t-convenios"
    base = "https://alva.prodheg.example"
    assert _otorgante_de(f"{base}/emisores/prodheg", base + "/") == "prodheg"
    assert _otorgante_de("https://otro.example/emisores/prodheg", base) is None
    assert _otorgante_de(f"{base}/emisores/prodheg/x", base) is None


async def test_sin_cuentas_la_consola_arranca_y_dice_como_crear_la_primera(tmp_path, monkeypatch):
    import httpx

    from alva.consola.app import crear_app

    # Recién instalada: ni una cuenta. La página de entrada (sin broker ni base) dice qué comando la crea.
    monkeypatch.setenv("ALVA_DATOS", str(tmp_path))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    monkeypatch.setenv("ALVA_KAFKA_PROTOCOLO", "PLAINTEXT")
    monkeypatch.delenv("ALVA_USUARIOS_CONSOLA", raising=False)
    transporte = httpx.ASGITransport(app=crear_app())  # sin lifespan: no abre PostgreSQL ni Kafka
    async with httpx.AsyncClient(transport=transporte, base_url="http://consola") as cliente:
        assert "alva consola usuario agregar &lt;usuario&gt; --rol operador" in (await cliente.get("/entrar")).text

        Cuentas(tmp_path / "consola" / "usuarios.json").guardar({"ana": nuevo("ana", "operador", CLAVE)})
        assert "Aún no hay cuentas" not in (await cliente.get("/entrar")).text
