"""Los procesos que mantiene el supervisor, los cuatro servicios y la consola: qué módulo corre cada uno, dónde
escucha y qué entorno recibe para encontrar a los demás."""

import json

from alva.consola.config import AjustesConsola
from plataforma.operacion import puertos_propios

SERVICIOS = ("convenios", "capacitacion", "distintivos", "notificaciones")
CONSOLA = "consola"
SUPERVISADOS = (*SERVICIOS, CONSOLA)


def modulo(nombre: str) -> str:
    """Lo que corre `python -m`; también la marca con que se le reconoce en /proc."""
    return "alva.consola" if nombre == CONSOLA else f"servicios.{nombre}"


def variable_puerto(nombre: str) -> str:
    """Por dónde recibe su puerto: cada servicio el de operación; la consola, el suyo."""
    return "ALVA_PUERTO_CONSOLA" if nombre == CONSOLA else "ALVA_PUERTO_OPERACION"


def puertos(ajustes: AjustesConsola) -> dict[str, int]:
    """El de operación de cada servicio (ALVA_PUERTOS_OPERACION) y el de la consola (ALVA_PUERTO_CONSOLA)."""
    return {**{s: p for s, p in puertos_propios(ajustes).items() if s in SERVICIOS}, CONSOLA: ajustes.puerto_consola}


def host(nombre: str, ajustes: AjustesConsola) -> str:
    """Dónde escucha; visto desde esta máquina (0.0.0.0 es 127.0.0.1)."""
    propio = ajustes.host_consola if nombre == CONSOLA else ajustes.host_operacion
    local = "127.0.0.1" if propio in ("0.0.0.0", "::", "") else propio
    return f"[{local}]" if ":" in local else local


def url(nombre: str, puerto: int, ajustes: AjustesConsola) -> str:
    return f"http://{host(nombre, ajustes)}:{puerto}"


def entorno(nombre: str, deseados: dict[str, int], ajustes: AjustesConsola) -> dict[str, str]:
    """Lo que recibe al arrancar, además de su puerto: la base pública de la consola que de verdad corre (si no se
    dio ALVA_URL_PUBLICA), para que las credenciales la nombren; la consola, la salud de los servicios en sus puertos."""
    propio = {}
    puerto_consola = deseados.get(CONSOLA, ajustes.puerto_consola)
    if "url_publica" not in ajustes.model_fields_set and puerto_consola > 0:
        propio["ALVA_URL_PUBLICA"] = url(CONSOLA, puerto_consola, ajustes)
    if nombre == CONSOLA:
        aqui = {s: f"{url(s, p, ajustes)}/salud/listo" for s, p in deseados.items() if s in SERVICIOS}
        propio["ALVA_SALUD_SERVICIOS"] = json.dumps({**ajustes.salud_servicios, **aqui})
    return propio
