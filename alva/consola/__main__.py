"""`python -m alva.consola`: la consola web en ALVA_HOST_CONSOLA:ALVA_PUERTO_CONSOLA (127.0.0.1:18080)."""

import logging
import signal
import sys

import uvicorn

from alva.consola.app import crear_app
from alva.consola.config import AjustesConsola
from alva.consola.usuarios import CREAR_PRIMERA, UsuarioInvalido
from plataforma.kafka import SinCredenciales
from plataforma.operacion import PuertoNoDisponible, abrir_socket


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    ajustes = AjustesConsola()
    try:
        sock = abrir_socket("consola", ajustes.host_consola, ajustes.puerto_consola)
    except PuertoNoDisponible as e:
        print(f"consola: no se pudo abrir {ajustes.host_consola}:{ajustes.puerto_consola} ({getattr(e.__cause__, 'strerror', None) or e}); ¿ya corre "
              "otra? Elija otro con ALVA_PUERTO_CONSOLA (0: uno libre) o ALVA_HOST_CONSOLA.", file=sys.stderr)
        return 1
    try:
        app = crear_app(ajustes)
    except SinCredenciales as e:
        print(f"consola: sin credenciales de Kafka: {e}", file=sys.stderr)
        return 4
    try:
        cuentas = len(app.state.cuentas.todas())
    except UsuarioInvalido as e:
        origen = "ALVA_USUARIOS_CONSOLA" if ajustes.usuarios_consola else ajustes.archivo_usuarios
        print(f"consola: las cuentas de {origen} no sirven: {e}", file=sys.stderr)
        return 2
    host, puerto = sock.getsockname()[:2]
    aviso = f"{cuentas} cuenta(s)" if cuentas else f"sin cuentas: {CREAR_PRIMERA}"
    print(f"consola   http://{host}:{puerto}/  ({aviso})", flush=True)
    # uvicorn para en orden y vuelve a lanzar la señal; con SIGTERM (el supervisor, docker) sale 0, como los servicios.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.Server(uvicorn.Config(app, log_level="warning", proxy_headers=False, ws="none",
                                  timeout_graceful_shutdown=3)).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
