"""El entorno embebido (infra.entorno) arranca servidores reales y es idempotente; no para el entorno compartido."""

import smtplib
import socket
import time
from email.message import EmailMessage

import asyncpg
import pytest

from infra import entorno

pytestmark = pytest.mark.integration


def _puerto_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_arrancar_dos_veces_reutiliza_y_los_servidores_responden():
    primera = entorno.arrancar()
    lineas: list[str] = []
    segunda = entorno.arrancar(salida=lineas.append)

    assert segunda == primera == entorno.entorno_embebido()
    for componente in ("kafka", "postgres", "smtp"):
        assert any(l.startswith(componente) and "already running" in l for l in lineas), lineas
    assert entorno.kafka_responde(segunda.kafka_bootstrap)
    puerto_pg = int(segunda.postgres_dsn.rsplit(":", 1)[1].split("/")[0])
    socket.create_connection(("127.0.0.1", puerto_pg), timeout=5).close()
    with smtplib.SMTP(segunda.smtp_host, segunda.smtp_puerto, timeout=5) as smtp:
        assert smtp.noop()[0] == 250  # el constructor ya exigió el saludo 220


def test_puerto_ocupado_por_otro_da_error_con_puerto_y_variable(monkeypatch, tmp_path):
    with socket.socket() as ajeno:
        ajeno.bind(("127.0.0.1", 0))
        ajeno.listen()
        puerto = ajeno.getsockname()[1]
        monkeypatch.setenv("ALVA_DATOS", str(tmp_path / "datos"))
        monkeypatch.setenv("ALVA_SMTP_PUERTO", str(puerto))

        with pytest.raises(entorno.ErrorEntorno) as error:
            entorno.arrancar(("smtp",), salida=lambda _: None)

    assert str(puerto) in str(error.value)
    assert "ALVA_SMTP_PUERTO" in str(error.value)


def test_buzon_propio_guarda_cada_mensaje_como_eml(monkeypatch, tmp_path):
    monkeypatch.setenv("ALVA_DATOS", str(tmp_path / "datos"))
    monkeypatch.setenv("ALVA_SMTP_PUERTO", str(_puerto_libre()))
    propio = entorno.arrancar(("smtp",), salida=lambda _: None)
    try:
        mensaje = EmailMessage()
        mensaje["From"], mensaje["To"], mensaje["Subject"] = "alva@example.org", "persona@example.org", "Constancia ñ"
        mensaje.set_content("Hola")
        with smtplib.SMTP(propio.smtp_host, propio.smtp_puerto, timeout=5) as smtp:
            smtp.send_message(mensaje)

        limite = time.monotonic() + 5
        while not list(propio.buzon.glob("*.eml")) and time.monotonic() < limite:
            time.sleep(0.05)
        (archivo,) = propio.buzon.glob("*.eml")
        assert b"Subject: Constancia" in archivo.read_bytes()
        assert b"persona@example.org" in archivo.read_bytes()
        assert not [p for p in propio.buzon.iterdir() if p.suffix != ".eml"]  # sin temporales a medias
    finally:
        entorno.detener(salida=lambda _: None)  # solo este ALVA_DATOS: el entorno compartido sigue
    assert not entorno.smtp_saluda(propio.smtp_host, propio.smtp_puerto)


async def test_postgres_embebido_es_durable():
    # Lo confirmado sobrevive a un corte: fsync, commit síncrono y páginas completas, como PostgreSQL trae.
    dsn = entorno.arrancar(("postgres",), salida=lambda _: None).postgres_dsn
    conexion = await asyncpg.connect(dsn)
    try:
        ajustes = {n: await conexion.fetchval(f"SHOW {n}") for n in ("fsync", "synchronous_commit", "full_page_writes")}
    finally:
        await conexion.close()
    assert ajustes == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
