"""docker-compose.yml y el Dockerfile dicen lo mismo que el código: servicios, direcciones y nombres de ajustes."""

import importlib
import json
import os
import pathlib
import re
from urllib.parse import urlsplit

import pytest
import yaml

from infra import compose as infra_compose
from infra.kafka import RutasKafka
from plataforma import provision
from plataforma.config import Ajustes
from plataforma.operacion import PUERTOS

pytestmark = pytest.mark.unit

RAIZ = pathlib.Path(__file__).resolve().parents[2]
COMPOSE = RAIZ / "docker-compose.yml"
DOCKERFILE = RAIZ / "Dockerfile"

INFRA = ("kafka", "postgres", "smtp")
UNA_VEZ = ("seguridad", "aprovisionar")  # terminan: secretos de Kafka y aprovisionamiento
APPS = ("convenios", "capacitacion", "distintivos", "notificaciones")
CONSOLA = "consola"  # la consola web: la misma imagen, con el usuario de Kafka de quien opera

# Variables que el código lee fuera de las clases de ajustes: nombre -> archivo que la lee.
LEIDAS_FUERA_DE_AJUSTES = {"ALVA_LOG": "plataforma/arranque.py", "ALVA_DATOS": "plataforma/embebido.py",
                           **{f"ALVA_KAFKA_{n}": "plataforma/kafka.py"
                              for n in ("PROTOCOLO", "MECANISMO", "USUARIO", "CLAVE", "CLAVE_ARCHIVO", "CA")}}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def servicios(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def kafka_conf() -> dict[str, str]:
    """El server.properties que `seguridad` genera para el contenedor de Kafka, como dict."""
    texto = infra_compose.propiedades_compose(RutasKafka(infra_compose.SECRETOS_KAFKA), "clave-admin", "clave-ctl")
    return dict(linea.split("=", 1) for linea in texto.splitlines() if linea)


def montajes(servicio: dict) -> dict[str, str]:
    """volumen -> destino (con `:ro` si es de sólo lectura)."""
    return dict(str(v).split(":", 1) for v in servicio.get("volumes") or [])


def entorno(servicio: dict) -> dict[str, str]:
    """`environment` en forma de lista (`- K=V`) o de mapa (con anclas ya fusionadas), como dict de str."""
    crudo = servicio.get("environment") or {}
    if isinstance(crudo, dict):
        return {str(k): "" if v is None else str(v) for k, v in crudo.items()}
    resultado = {}
    for linea in crudo:
        nombre, _, valor = str(linea).partition("=")
        resultado[nombre] = valor
    return resultado


def orden(servicio: dict) -> list[str]:
    crudo = servicio.get("command") or []
    return crudo.split() if isinstance(crudo, str) else [str(x) for x in crudo]


def puerto_publicado(servicio: dict) -> tuple[int, int]:
    """(puerto en el anfitrión, puerto en el contenedor) de su único `ports`."""
    [puerto] = servicio["ports"]
    _, anfitrion, contenedor = str(puerto).split(":")
    return int(anfitrion), int(contenedor)


def clase_ajustes(nombre: str) -> type[Ajustes]:
    modulo = importlib.import_module("alva.consola.config" if nombre == CONSOLA else f"servicios.{nombre}.config")
    clases = [obj for obj in vars(modulo).values()
              if isinstance(obj, type) and issubclass(obj, Ajustes) and obj is not Ajustes
              and obj.__module__ == modulo.__name__]
    assert len(clases) == 1, f"{modulo.__name__} should define exactly one Ajustes subclass, found {clases}"
    return clases[0]


def test_el_compose_se_lee_y_nombra_toda_la_pila(compose, servicios):
    assert isinstance(compose, dict)
    todos = {*INFRA, *UNA_VEZ, *APPS, CONSOLA}
    assert todos <= set(servicios), f"missing: {todos - set(servicios)}"


@pytest.mark.parametrize("nombre", APPS)
def test_cada_servicio_corre_su_modulo(servicios, nombre):
    servicio = servicios[nombre]
    assert orden(servicio) == ["python", "-m", f"servicios.{nombre}"]
    build = servicio.get("build")
    assert (build.get("context") if isinstance(build, dict) else build) in (".", "./"), f"{nombre}: build {build!r}"
    assert servicio.get("restart") == "unless-stopped"
    assert (RAIZ / "servicios" / nombre / "__main__.py").is_file()


@pytest.mark.parametrize("nombre", APPS)
def test_cada_servicio_apunta_a_kafka_y_postgres(servicios, kafka_conf, nombre):
    env = entorno(servicios[nombre])

    kafka = env.get("KAFKA_BOOTSTRAP_SERVERS")
    assert kafka, f"{nombre}: KAFKA_BOOTSTRAP_SERVERS missing"
    anunciados = kafka_conf["advertised.listeners"]
    for direccion in kafka.split(","):
        host, _, puerto = direccion.strip().partition(":")
        assert host == "kafka", f"{nombre}: KAFKA_BOOTSTRAP_SERVERS={kafka!r} does not point at the kafka service"
        assert f"://kafka:{puerto}" in anunciados, f"{nombre}: kafka:{puerto} is not an advertised listener"

    dsn = env.get("ALVA_POSTGRES_DSN")
    assert dsn, f"{nombre}: ALVA_POSTGRES_DSN missing"
    partes = urlsplit(dsn)
    pg = entorno(servicios["postgres"])
    assert partes.scheme in ("postgresql", "postgres")
    assert partes.hostname == "postgres", f"{nombre}: ALVA_POSTGRES_DSN={dsn!r} does not point at the postgres service"
    assert (partes.port or 5432) == 5432
    assert partes.username == pg["POSTGRES_USER"]
    assert partes.password == pg["POSTGRES_PASSWORD"]
    assert partes.path.lstrip("/") == pg["POSTGRES_DB"]


@pytest.mark.parametrize("nombre", (*APPS, CONSOLA))
def test_cada_servicio_espera_a_que_la_infra_este_sana(servicios, nombre):
    depende = servicios[nombre].get("depends_on") or {}
    assert isinstance(depende, dict), f"{nombre}: depends_on should use the long form with conditions"
    requeridos = {"kafka", "postgres"} | ({"smtp"} if nombre == "notificaciones" else set())
    for otro in requeridos:
        assert depende.get(otro, {}).get("condition") == "service_healthy", f"{nombre} -> {otro}"
        assert servicios[otro].get("healthcheck"), f"{otro} needs a healthcheck for service_healthy"
    # Sus credenciales existen sólo cuando el aprovisionamiento terminó bien.
    assert depende.get("aprovisionar", {}).get("condition") == "service_completed_successfully"


def test_notificaciones_envia_al_buzon(servicios):
    env = entorno(servicios["notificaciones"])
    assert env.get("ALVA_SMTP_HOST") == "smtp"
    assert env.get("ALVA_SMTP_PUERTO") == "1025"


def test_kafka_4_en_kraft(servicios, kafka_conf):
    kafka = servicios["kafka"]
    imagen, _, etiqueta = kafka["image"].rpartition(":")
    assert imagen == "apache/kafka"
    assert re.fullmatch(r"4(\.\d+)*", etiqueta), f"kafka image tag {etiqueta!r} is not 4.x"
    assert {"broker", "controller"} <= {r.strip() for r in kafka_conf["process.roles"].split(",")}
    assert kafka_conf["controller.listener.names"] == "CONTROLLER"
    assert kafka_conf["controller.quorum.bootstrap.servers"] == "kafka:9093"
    assert "CONTROLLER://" in kafka_conf["listeners"]
    assert "kafka-broker-api-versions.sh" in " ".join(map(str, kafka["healthcheck"]["test"]))
    assert orden(kafka) == ["/bin/bash", str(infra_compose.SECRETOS_KAFKA / "arrancar.sh")]


def test_kafka_solo_habla_sasl_ssl_con_scram_y_acls(servicios, kafka_conf):
    protocolos = dict(par.split(":") for par in kafka_conf["listener.security.protocol.map"].split(","))
    oyentes = {o.split("://")[0] for o in kafka_conf["listeners"].split(",")}
    assert oyentes == set(protocolos) and set(protocolos.values()) == {"SASL_SSL"}
    assert kafka_conf["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert kafka_conf["authorizer.class.name"].endswith("StandardAuthorizer")
    assert kafka_conf["allow.everyone.if.no.acl.found"] == "false"
    assert kafka_conf["auto.create.topics.enable"] == "false"
    assert kafka_conf["ssl.keystore.type"] == kafka_conf["ssl.truststore.type"] == "PEM"
    # El puerto publicado es el oyente EXTERNO, anunciado como localhost (nombre del certificado).
    assert servicios["kafka"]["ports"] == ["127.0.0.1:9092:29092"]
    assert "EXTERNO://:29092" in kafka_conf["listeners"]
    assert "EXTERNO://localhost:9092" in kafka_conf["advertised.listeners"]
    assert "--command-config" in " ".join(map(str, servicios["kafka"]["healthcheck"]["test"]))


def test_los_secretos_se_generan_antes_y_se_aprovisiona_despues(servicios):
    assert orden(servicios["seguridad"]) == ["python", "-m", "infra.compose", "secretos"]
    assert orden(servicios["aprovisionar"])[:4] == ["python", "-m", "infra.compose", "aprovisionar"]
    assert servicios["kafka"]["depends_on"]["seguridad"]["condition"] == "service_completed_successfully"
    assert servicios["aprovisionar"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    admin = entorno(servicios["aprovisionar"])
    assert admin["ALVA_KAFKA_USUARIO"] == "alva-admin"
    assert admin["ALVA_KAFKA_CLAVE_ARCHIVO"].startswith(str(infra_compose.SECRETOS_KAFKA) + "/")


@pytest.mark.parametrize("nombre", APPS)
def test_cada_servicio_entra_con_su_propio_usuario_y_no_ve_los_secretos_de_kafka(servicios, nombre):
    env, volumenes = entorno(servicios[nombre]), montajes(servicios[nombre])
    assert env["ALVA_KAFKA_PROTOCOLO"] == "SASL_SSL" and env["ALVA_KAFKA_MECANISMO"] == "SCRAM-SHA-512"
    assert env["ALVA_KAFKA_USUARIO"] == f"alva-{nombre}"
    assert env["ALVA_KAFKA_CLAVE_ARCHIVO"] == f"{infra_compose.CREDENCIALES}/principales/alva-{nombre}.json"
    assert env["ALVA_KAFKA_CA"] == f"{infra_compose.CREDENCIALES}/ca.pem"
    firma = {"alva-claves": f"{infra_compose.CLAVES_FIRMA}:ro"} if nombre == "distintivos" else {}
    assert volumenes == {"alva-credenciales": f"{infra_compose.CREDENCIALES}:ro", **firma}
    assert "ALVA_KAFKA_CLAVE" not in env


def test_la_clave_de_firma_la_crea_seguridad_y_distintivos_solo_la_lee(servicios, tmp_path):
    env = entorno(servicios["distintivos"])
    assert env["ALVA_CARPETA_CLAVES"] == str(infra_compose.CLAVES_FIRMA) and env["ALVA_CREAR_CLAVES"] == "false"
    assert montajes(servicios["seguridad"])["alva-claves"] == str(infra_compose.CLAVES_FIRMA)
    assert infra_compose.claves_de_firma(tmp_path) == ["prodheg"]
    assert infra_compose.claves_de_firma(tmp_path) == []  # lo que existe se conserva
    [clave] = [p for p in (tmp_path / "prodheg").glob("*.pem") if not p.name.endswith(".pub.pem")]
    assert clave.stat().st_mode & 0o077 == 0


def test_postgres_y_smtp(servicios):
    from infra.postgres import AJUSTES

    assert servicios["postgres"]["image"].startswith("postgres:15")
    comando = servicios["postgres"]["command"]
    assert comando[0] == "postgres" and " ".join(comando[1:]) == AJUSTES  # los mismos que la embebida
    assert "pg_isready -U alva" in " ".join(map(str, servicios["postgres"]["healthcheck"]["test"]))
    assert servicios["smtp"]["image"].split(":")[0] == "axllent/mailpit"


def test_los_puertos_publicados_solo_escuchan_en_loopback(servicios):
    for nombre, servicio in servicios.items():
        for puerto in servicio.get("ports") or []:
            if isinstance(puerto, dict):
                assert puerto.get("host_ip") == "127.0.0.1", f"{nombre}: {puerto}"
            else:
                assert str(puerto).startswith("127.0.0.1:"), f"{nombre}: {puerto!r} is not bound to 127.0.0.1"


@pytest.mark.parametrize("nombre", (*APPS, CONSOLA))
def test_cada_variable_del_compose_es_un_ajuste(servicios, nombre):
    campos = set(Ajustes.model_fields) | set(clase_ajustes(nombre).model_fields)
    alias_base = {"KAFKA_BOOTSTRAP_SERVERS"}
    desconocidas = []
    for variable in entorno(servicios[nombre]):
        if variable in alias_base:
            continue
        if variable in LEIDAS_FUERA_DE_AJUSTES:
            assert variable in (RAIZ / LEIDAS_FUERA_DE_AJUSTES[variable]).read_text(encoding="utf-8")
            continue
        if not variable.startswith("ALVA_") or variable.removeprefix("ALVA_").lower() not in campos:
            desconocidas.append(variable)
    assert not desconocidas, f"{nombre}: no settings field reads {desconocidas}"
    assert "kafka_bootstrap_servers" in campos


def test_la_consola_corre_con_el_usuario_de_quien_opera_y_publica_su_puerto(compose, servicios):
    consola, env = servicios[CONSOLA], entorno(servicios[CONSOLA])
    assert orden(consola) == ["python", "-m", "alva.consola"] and consola.get("build") in (".", "./")
    assert consola.get("restart") == "unless-stopped"
    assert env["ALVA_KAFKA_USUARIO"] == "alva-operador"
    assert env["ALVA_KAFKA_CLAVE_ARCHIVO"] == f"{infra_compose.CREDENCIALES}/principales/alva-operador.json"
    assert env["ALVA_KAFKA_CA"] == f"{infra_compose.CREDENCIALES}/ca.pem" and "ALVA_KAFKA_CLAVE" not in env
    # Escucha en todo el contenedor; el anfitrión sólo la ve en 127.0.0.1:18080.
    assert env["ALVA_HOST_CONSOLA"] == "0.0.0.0"
    assert puerto_publicado(consola) == (18080, int(env.get("ALVA_PUERTO_CONSOLA", 18080)))
    salud = " ".join(map(str, consola["healthcheck"]["test"]))
    assert f"http://127.0.0.1:{puerto_publicado(consola)[1]}/salud/listo" in salud
    # Su secreto de sesión y sus cuentas, en un volumen propio que `seguridad` da al usuario de la imagen.
    assert montajes(consola) == {"alva-credenciales": f"{infra_compose.CREDENCIALES}:ro",
                                 "consola-datos": str(infra_compose.DATOS_CONSOLA)}
    assert env["ALVA_DATOS"] == str(infra_compose.DATOS_CONSOLA)
    assert montajes(servicios["seguridad"])["consola-datos"] == str(infra_compose.DATOS_CONSOLA)
    assert "consola-datos" in compose["volumes"]


def test_la_consola_pregunta_a_cada_servicio_en_su_contenedor(servicios):
    salud = json.loads(entorno(servicios[CONSOLA])["ALVA_SALUD_SERVICIOS"])
    assert set(salud) == set(APPS)
    for nombre in APPS:
        assert puerto_publicado(servicios[nombre])[1] == PUERTOS[nombre]
        assert salud[nombre] == f"http://{nombre}:{PUERTOS[nombre]}/salud/listo"


def test_las_credenciales_nombran_la_consola_publicada(servicios):
    # distintivos firma credenciales que citan sus páginas y claves; la consola las sirve y verifica contra esa base.
    publica = entorno(servicios["distintivos"])["ALVA_URL_PUBLICA"]
    assert entorno(servicios[CONSOLA])["ALVA_URL_PUBLICA"] == publica
    partes = urlsplit(publica)
    assert partes.hostname in ("localhost", "127.0.0.1") and partes.port == puerto_publicado(servicios[CONSOLA])[0]


class AdminFalso:
    """Un Kafka con SASL recién formateado: sin tópicos, usuarios ni ACLs."""

    def __init__(self, conexion) -> None:
        self.conexion, self.claves = conexion, {}

    def topicos(self) -> set:
        return set()

    def usuarios(self) -> dict:
        return {}

    def permisos(self) -> set:
        return set()

    def desajustados(self, nombres) -> list:
        return []

    def poner_clave(self, usuario, clave) -> None:
        self.claves[usuario] = clave

    def crear_topicos(self, *_) -> None:
        pass

    ajustar = crear_permisos = crear_topicos


def test_aprovisionar_deja_la_clave_de_quien_opera_para_la_consola(servicios, tmp_path, monkeypatch):
    for variable, valor in {"KAFKA_BOOTSTRAP_SERVERS": "kafka:9092", "ALVA_KAFKA_PROTOCOLO": "SASL_SSL",
                            "ALVA_KAFKA_USUARIO": "alva-admin", "ALVA_KAFKA_CLAVE": "clave-admin"}.items():
        monkeypatch.setenv(variable, valor)
    monkeypatch.delenv("ALVA_KAFKA_CA", raising=False)
    monkeypatch.setattr(provision, "AdminKafka", AdminFalso)
    monkeypatch.setattr(provision, "publicar_alta", lambda *_: None)
    monkeypatch.setattr(provision, "esperar_credencial", lambda *_: None)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # sin cambiar dueños en tmp_path
    infra_compose.aprovisionar(alva=tmp_path)

    archivo = pathlib.PurePosixPath(entorno(servicios[CONSOLA])["ALVA_KAFKA_CLAVE_ARCHIVO"])
    guardada = json.loads((tmp_path / archivo.relative_to(infra_compose.CREDENCIALES)).read_text())
    assert guardada["usuario"] == "alva-operador" and guardada["clave"]


def test_seguridad_da_la_carpeta_de_la_consola_al_usuario_de_alva(tmp_path, monkeypatch):
    carpetas = {n: tmp_path / n for n in ("kafka", "alva", "datos", "claves", "consola")}
    for carpeta in carpetas.values():
        carpeta.mkdir()
    duenos = {}
    monkeypatch.setattr(os, "geteuid", lambda: 0)  # como en el contenedor; sin cambiar dueños de verdad
    monkeypatch.setattr(os, "chown", lambda ruta, uid, gid: duenos.setdefault(pathlib.Path(ruta), uid))
    infra_compose.secretos(**carpetas)
    assert duenos[carpetas["consola"]] == infra_compose.UID_ALVA


def test_el_dockerfile_instala_el_proyecto():
    texto = DOCKERFILE.read_text(encoding="utf-8")
    lineas = [linea.strip() for linea in texto.splitlines() if linea.strip() and not linea.lstrip().startswith("#")]
    assert re.match(r"FROM\s+python:3\.11-slim\b", lineas[0])
    assert re.search(r"pip install\b[^\n]*--no-cache-dir[^\n]*\s\.(\s|$)", texto), "no `pip install --no-cache-dir .`"
    usuarios = [linea.split(None, 1)[1] for linea in lineas if linea.upper().startswith("USER ")]
    assert usuarios and usuarios[-1].split(":")[0] not in ("root", "0"), "the image should run as a non-root user"
    copiado = " ".join(linea for linea in lineas if linea.upper().startswith(("COPY ", "ADD ")))
    for necesario in ("pyproject.toml", "servicios", "plataforma", "esquemas"):
        assert necesario in copiado or re.search(r"COPY\s+\.\s", copiado + " "), f"Dockerfile does not copy {necesario}"


def test_cada_modulo_referenciado_existe(servicios):
    for nombre, servicio in servicios.items():
        partes = orden(servicio)
        if "-m" in partes:
            modulo = partes[partes.index("-m") + 1]
            paquete = RAIZ / pathlib.Path(*modulo.split(".")) / "__main__.py"
            archivo = (RAIZ / pathlib.Path(*modulo.split("."))).with_suffix(".py")
            assert paquete.is_file() or ("__main__" in archivo.read_text(encoding="utf-8")
                                         if archivo.is_file() else False), f"{nombre}: {modulo} cannot run with -m"
