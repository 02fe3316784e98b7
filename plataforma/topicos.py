"""Tópicos: crear los canónicos al arrancar, el de ingreso al dar de alta una institución, y los que falten al publicar."""

import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from esquemas.catalogo import TOPICOS_CANONICOS
from esquemas.ingreso import topico_ingreso

log = logging.getLogger(__name__)


class Topicos:
    """Recuerda qué tópicos existen para no preguntarle a Kafka cada vez."""

    def __init__(self, bootstrap: str, particiones: int = 3, replicacion: int = 1) -> None:
        self.bootstrap, self.particiones, self.replicacion = bootstrap, particiones, replicacion
        self._conocidos: set[str] = set()

    async def asegurar(self, nombres: Iterable[str]) -> set[str]:
        """Crea los que falten; devuelve los creados."""
        faltan = set(nombres) - self._conocidos
        if not faltan:
            return set()
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="alva-topicos")
        await admin.start()
        try:
            existentes = set(await admin.list_topics())
            nuevos = faltan - existentes
            if nuevos:
                respuesta = await admin.create_topics(
                    [NewTopic(n, self.particiones, self.replicacion) for n in sorted(nuevos)]
                )
                _revisar(respuesta)
                log.info("tópicos creados: %s", sorted(nuevos))
        finally:
            await admin.close()
        self._conocidos |= faltan
        return nuevos

    async def asegurar_canonicos(self) -> None:
        await self.asegurar(TOPICOS_CANONICOS)

    async def alta_institucion(self, institucion: str) -> str:
        """Dar de alta una institución crea su tópico de ingreso."""
        topico = topico_ingreso(institucion)
        await self.asegurar([topico])
        return topico


def _revisar(respuesta) -> None:
    for nombre, codigo, *_ in getattr(respuesta, "topic_errors", []):
        if codigo not in (0, TopicAlreadyExistsError.errno):
            raise RuntimeError(f"Kafka no creó el tópico {nombre}: error {codigo}")
