"""Buzón SMTP de desarrollo: recibe correo en 127.0.0.1 y guarda cada mensaje como archivo .eml."""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import pathlib
import signal
import threading

from aiosmtpd.controller import Controller


class GuardarEnArchivos:
    """Handler de aiosmtpd: cada mensaje recibido queda en `<buzon>/<timestamp utc>-<n>.eml`."""

    def __init__(self, buzon: pathlib.Path) -> None:
        self.buzon = buzon
        self._contador = itertools.count(1)

    async def handle_DATA(self, server, session, envelope) -> str:
        marca = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        nombre = f"{marca}-{next(self._contador):06d}.eml"
        temporal = self.buzon / f".{nombre}.tmp"  # no termina en .eml: los lectores no lo ven a medias
        temporal.write_bytes(envelope.original_content)
        os.replace(temporal, self.buzon / nombre)
        print(f"buzon: {nombre} de {envelope.mail_from} para {', '.join(envelope.rcpt_tos)}", flush=True)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--puerto", type=int, required=True)
    parser.add_argument("--buzon", type=pathlib.Path, required=True)
    args = parser.parse_args()
    args.buzon.mkdir(parents=True, exist_ok=True)

    fin = threading.Event()
    for senal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(senal, lambda *_: fin.set())

    controlador = Controller(GuardarEnArchivos(args.buzon), hostname="127.0.0.1", port=args.puerto)
    controlador.start()
    print(f"buzon: escuchando en 127.0.0.1:{args.puerto}, mensajes en {args.buzon}", flush=True)
    try:
        fin.wait()
    finally:
        controlador.stop()


if __name__ == "__main__":
    main()
