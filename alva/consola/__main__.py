"""`python -m alva.consola`: la consola web en ALVA_HOST_CONSOLA:ALVA_PUERTO_CONSOLA (127.0.0.1:18080)."""

import logging
import sys

import uvicorn

from alva.consola.app import crear_app
from alva.consola.config import AjustesConsola
from plataforma.kafka import SinCredenciales
from plataforma.operacion import PuertoNoDisponible, abrir_socket


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ajustes = AjustesConsola()
    try:
        sock = abrir_socket("consola", ajustes.host_consola, ajustes.puerto_consola)
    except PuertoNoDisponible as e:
        print(str(e).replace("ALVA_PUERTO_OPERACION", "ALVA_PUERTO_CONSOLA")
              .replace("ALVA_HOST_OPERACION", "ALVA_HOST_CONSOLA"), file=sys.stderr)
        return 1
    try:
        app = crear_app(ajustes)
    except SinCredenciales as e:
        print(f"consola: sin credenciales de Kafka: {e}", file=sys.stderr)
        return 4
    host, puerto = sock.getsockname()[:2]
    print(f"consola   http://{host}:{puerto}/  (cuentas: alva consola usuarios)", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", proxy_headers=False, ws="none",
                                  timeout_graceful_shutdown=3)).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
