"""docker-compose.yml y el Dockerfile dicen lo mismo que el código: servicios, direcciones y nombres de ajustes."""

import importlib
import pathlib
import re
from urllib.parse import urlsplit

import pytest
import yaml

from plataforma.config import Ajustes

pytestmark = pytest.mark.unit

RAIZ = pathlib.Path(__file__).resolve().parents[2]
COMPOSE = RAIZ / "docker-compose.yml"
DOCKERFILE = RAIZ / "Dockerfile"

INFRA = ("kafka", "postgres", "smtp")
APPS = ("convenios", "capacitacion", "distintivos", "notificaciones")

# Variables que el código lee fuera de las clases de ajustes: nombre -> archivo que la lee.
LEIDAS_FUERA_DE_AJUSTES = {"ALVA_LOG": "plataforma/arranque.py"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def servicios(compose) -> dict:
    return compose["services"]


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


def clase_ajustes(nombre: str) -> type[Ajustes]:
    modulo = importlib.import_module(f"servicios.{nombre}.config")
    clases = [obj for obj in vars(modulo).values()
              if isinstance(obj, type) and issubclass(obj, Ajustes) and obj is not Ajustes
              and obj.__module__ == modulo.__name__]
    assert len(clases) == 1, f"servicios.{nombre}.config should define exactly one Ajustes subclass, found {clases}"
    return clases[0]


def test_el_compose_se_lee_y_nombra_toda_la_pila(compose, servicios):
    assert isinstance(compose, dict)
    assert set(INFRA + APPS) <= set(servicios), f"missing: {set(INFRA + APPS) - set(servicios)}"


@pytest.mark.parametrize("nombre", APPS)
def test_cada_servicio_corre_su_modulo(servicios, nombre):
    servicio = servicios[nombre]
    assert orden(servicio) == ["python", "-m", f"servicios.{nombre}"]
    build = servicio.get("build")
    assert (build.get("context") if isinstance(build, dict) else build) in (".", "./"), f"{nombre}: build {build!r}"
    assert servicio.get("restart") == "unless-stopped"
    assert (RAIZ / "servicios" / nombre / "__main__.py").is_file()


@pytest.mark.parametrize("nombre", APPS)
def test_cada_servicio_apunta_a_kafka_y_postgres(servicios, nombre):
    env = entorno(servicios[nombre])

    kafka = env.get("KAFKA_BOOTSTRAP_SERVERS")
    assert kafka, f"{nombre}: KAFKA_BOOTSTRAP_SERVERS missing"
    anunciados = entorno(servicios["kafka"])["KAFKA_ADVERTISED_LISTENERS"]
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


@pytest.mark.parametrize("nombre", APPS)
def test_cada_servicio_espera_a_que_la_infra_este_sana(servicios, nombre):
    depende = servicios[nombre].get("depends_on") or {}
    assert isinstance(depende, dict), f"{nombre}: depends_on should use the long form with conditions"
    requeridos = {"kafka", "postgres"} | ({"smtp"} if nombre == "notificaciones" else set())
    for otro in requeridos:
        assert depende.get(otro, {}).get("condition") == "service_healthy", f"{nombre} -> {otro}"
        assert servicios[otro].get("healthcheck"), f"{otro} needs a healthcheck for service_healthy"


def test_notificaciones_envia_al_buzon(servicios):
    env = entorno(servicios["notificaciones"])
    assert env.get("ALVA_SMTP_HOST") == "smtp"
    assert env.get("ALVA_SMTP_PUERTO") == "1025"


def test_kafka_4_en_kraft(servicios):
    kafka = servicios["kafka"]
    imagen, _, etiqueta = kafka["image"].rpartition(":")
    assert imagen == "apache/kafka"
    assert re.fullmatch(r"4(\.\d+)*", etiqueta), f"kafka image tag {etiqueta!r} is not 4.x"
    env = entorno(kafka)
    assert {"broker", "controller"} <= {r.strip() for r in env["KAFKA_PROCESS_ROLES"].split(",")}
    assert "CONTROLLER" in env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert "@kafka:9093" in env["KAFKA_CONTROLLER_QUORUM_VOTERS"]
    assert "CONTROLLER://" in env["KAFKA_LISTENERS"] and "PLAINTEXT://" in env["KAFKA_LISTENERS"]
    assert "kafka-broker-api-versions.sh" in " ".join(map(str, kafka["healthcheck"]["test"]))


def test_postgres_y_smtp(servicios):
    assert servicios["postgres"]["image"].startswith("postgres:15")
    assert "pg_isready -U alva" in " ".join(map(str, servicios["postgres"]["healthcheck"]["test"]))
    assert servicios["smtp"]["image"].split(":")[0] == "axllent/mailpit"


def test_los_puertos_publicados_solo_escuchan_en_loopback(servicios):
    for nombre, servicio in servicios.items():
        for puerto in servicio.get("ports") or []:
            if isinstance(puerto, dict):
                assert puerto.get("host_ip") == "127.0.0.1", f"{nombre}: {puerto}"
            else:
                assert str(puerto).startswith("127.0.0.1:"), f"{nombre}: {puerto!r} is not bound to 127.0.0.1"


@pytest.mark.parametrize("nombre", APPS)
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
            ruta = RAIZ / pathlib.Path(*modulo.split(".")) / "__main__.py"
            assert ruta.is_file(), f"{nombre}: {modulo} has no {ruta.relative_to(RAIZ)}"
