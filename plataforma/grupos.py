"""Grupos de consumo: su estado y cuántas instancias tienen (aiokafka 0.14 no sabe leer DescribeGroups v3)."""

from aiokafka.protocol.admin import DescribeGroupsRequest, DescribeGroupsRequest_v1


class _DescribirGruposV1(DescribeGroupsRequest):
    """aiokafka 0.14 negocia DescribeGroups v3 con Kafka 4 y no sabe leer la respuesta; la v1 basta aquí."""

    def build(self, _):
        return DescribeGroupsRequest_v1(self._groups)


async def describir_grupo(cliente, grupo: str) -> tuple[str, int]:
    """(estado, instancias) del grupo, de DescribeGroups: (error, grupo, estado, tipo, protocolo, miembros)."""
    nodo = await cliente.find_coordinator(grupo)
    respuesta = await cliente._client.send(nodo, _DescribirGruposV1([grupo]))  # noqa: SLF001
    [(_, _, estado, _, _, miembros)] = respuesta.groups
    return estado, len(miembros)
