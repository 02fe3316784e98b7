"""Buzón SMTP embebido (infra.buzon): guarda cada correo como .eml en la carpeta de datos."""

from __future__ import annotations

import importlib.util
import pathlib
import smtplib
import sys
import time

from infra.comun import HOST, Componente, ErrorEntorno, esperar, exigir_libre, lanzar, ya_corre


def smtp_saluda(host: str, puerto: int) -> bool:
    try:
        with smtplib.SMTP(host, puerto, timeout=2) as s:  # lee el saludo 220; si no, lanza
            s.noop()
        return True
    except (OSError, smtplib.SMTPException):
        return False


def arrancar(c: Componente, buzon: pathlib.Path, salida) -> None:
    if ya_corre(c, lambda: smtp_saluda(HOST, c.puerto), salida):
        return
    exigir_libre(c, c.puerto, c.variable)
    if importlib.util.find_spec("aiosmtpd") is None:
        raise ErrorEntorno(f"aiosmtpd is not installed for {sys.executable}. Fix: install the project in this "
                           "interpreter (pip install -e .) or pip install aiosmtpd==1.4.6")
    inicio = time.monotonic()
    buzon.mkdir(parents=True, exist_ok=True)
    proc = lanzar(c, [sys.executable, "-m", "infra.buzon", "--puerto", str(c.puerto), "--buzon", str(buzon)])
    esperar(c, lambda: smtp_saluda(HOST, c.puerto), lambda: proc.poll() is None)
    salida(f"smtp      {HOST}:{c.puerto}  ready in {time.monotonic() - inicio:.1f} s (mails saved in {buzon})")
