"""Métricas Prometheus de un servicio: un registro propio con las de FastStream (Kafka) y las de ALVA."""

import asyncio
import logging

import asyncpg
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest

# Contadores que un servicio puede sumar: nombre (sin `alva_` ni `_total`) → (descripción, etiquetas propias).
CONTADORES = {
    "eventos_procesados": ("Eventos que el servicio procesó; cuentan al confirmarse su transacción.", ("tipo",)),
    "eventos_rechazados": ("Entradas que el servicio rechazó, por código de rechazo.", ("codigo",)),
    "distintivos_otorgados": ("Distintivos otorgados, por programa.", ("programa",)),
    "lotes_divididos": ("Lotes que fallaron por algo que no es infraestructura y se partieron para aislar "
                        "la entrada venenosa.", ()),
    "mensajes_apartados": ("Mensajes del outbox que Kafka no aceptará nunca, apartados con su error.", ("topico",)),
}
SIEMPRE = ("eventos_procesados", "eventos_rechazados", "lotes_divididos", "mensajes_apartados")  # los demás aparecen con su primera cuenta

TIPO_DE_CONTENIDO = CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)


class Metricas:
    """Un registro por `Servicio`: varias instancias en un proceso (las pruebas) no se pisan."""

    def __init__(self, servicio: str) -> None:
        self.servicio = servicio
        self.registro = CollectorRegistry()
        self.middleware = KafkaPrometheusMiddleware(registry=self.registro, app_name=f"alva-{servicio}")
        self._contadores: dict[str, Counter] = {}
        for nombre in SIEMPRE:
            self._contador(nombre)
        self.outbox_pendientes = Gauge("alva_outbox_pendientes", "Mensajes en el outbox del servicio, aún sin publicar.",
                                       ["servicio"], registry=self.registro)
        self.outbox_apartados = Gauge("alva_outbox_apartados", "Mensajes apartados del outbox, esperando a quien opera.",
                                      ["servicio"], registry=self.registro)

    def contar(self, nombre: str, cuantos: int = 1, **etiquetas: str) -> None:
        self._contador(nombre).labels(servicio=self.servicio, **etiquetas).inc(cuantos)

    async def medir_outbox(self, pool: asyncpg.Pool | None, plazo_s: float) -> None:
        """Al leer las métricas; si PostgreSQL no responde a tiempo, el gauge guarda su último valor."""
        if pool is None:
            return
        try:
            async with asyncio.timeout(plazo_s), pool.acquire() as conn:
                filas = await conn.fetchval("SELECT coalesce(sum(cuantos), 0) FROM outbox_lotes")
                apartadas = await conn.fetchval("SELECT count(*) FROM outbox_apartados")
        except Exception as e:  # noqa: BLE001 - /metricas responde aunque la base no
            log.debug("%s: no se pudo contar el outbox: %s", self.servicio, e)
            return
        self.outbox_pendientes.labels(servicio=self.servicio).set(filas)
        self.outbox_apartados.labels(servicio=self.servicio).set(apartadas)

    def exponer(self) -> bytes:
        """El texto que Prometheus lee."""
        return generate_latest(self.registro)

    def _contador(self, nombre: str) -> Counter:
        if nombre not in self._contadores:
            descripcion, etiquetas = CONTADORES[nombre]
            self._contadores[nombre] = Counter(f"alva_{nombre}", descripcion, ["servicio", *etiquetas],
                                               registry=self.registro)
        return self._contadores[nombre]
