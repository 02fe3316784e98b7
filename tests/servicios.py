"""Los cuatro servicios en marcha dentro del proceso de pruebas, contra Kafka y PostgreSQL reales."""

from contextlib import AsyncExitStack

from servicios.capacitacion.app import crear_servicio as capacitacion
from servicios.capacitacion.config import AjustesCapacitacion
from servicios.convenios.app import crear_servicio as convenios
from servicios.convenios.config import AjustesConvenios
from servicios.distintivos.app import crear_servicio as distintivos
from servicios.distintivos.config import AjustesDistintivos
from servicios.notificaciones.app import crear_servicio as notificaciones
from servicios.notificaciones.config import AjustesNotificaciones

FABRICAS = {
    "convenios": (convenios, AjustesConvenios),
    "capacitacion": (capacitacion, AjustesCapacitacion),
    "distintivos": (distintivos, AjustesDistintivos),
    "notificaciones": (notificaciones, AjustesNotificaciones),
}


def ajustes_de(nombre: str, infra, smtp_puerto: int | None = None, **extra):
    fabrica, clase = FABRICAS[nombre]
    # Las transiciones por tiempo corren cada medio segundo para que las pruebas no esperen; el puerto de
    # operación es uno libre, porque a veces corren dos instancias del mismo servicio en este proceso.
    campos = dict(kafka_bootstrap_servers=infra.kafka, postgres_dsn=infra.postgres_dsn, lote_espera_ms=50,
                  periodo_s=0.5, puerto_operacion=0)
    campos.update(extra)
    if smtp_puerto:
        campos.update(smtp_host="127.0.0.1", smtp_puerto=smtp_puerto)
    return clase(**campos)


async def arrancar(pila: AsyncExitStack, nombre: str, infra, smtp_puerto: int | None = None, **extra):
    fabrica, _ = FABRICAS[nombre]
    servicio = fabrica(ajustes_de(nombre, infra, smtp_puerto, **extra))
    await servicio.app.start()
    pila.push_async_callback(servicio.app.stop)
    return servicio
