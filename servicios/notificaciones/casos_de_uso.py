"""Lo que hace notificaciones: saber a quién avisar y preparar cada aviso como una entrega pendiente."""

import json
import uuid

from esquemas.convenios import ConvenioFirmado
from esquemas.distintivos import DistintivoOtorgado
from plataforma.consumo import Contexto
from servicios.notificaciones.plantillas import redactar
from servicios.notificaciones.repositorio import PostgresNotificaciones

ESPACIO_NOTIFICACIONES = uuid.UUID("9a3c2b71-74f4-4a4e-a1a9-5c0d6f1e8b20")


def id_notificacion(evento_id: str, canal: str, destinatario: str) -> str:
    return str(uuid.uuid5(ESPACIO_NOTIFICACIONES, f"{evento_id}/{canal}/{destinatario}"))


async def avisar_convenio_firmado(ctx: Contexto, convenio: ConvenioFirmado, operadores: list[str]) -> None:
    """Aprende los contactos de la institución y les confirma el registro del convenio."""
    repo = PostgresNotificaciones(ctx.conn)
    await repo.guardar_contactos(convenio.institucion.id, convenio.contactos)
    await _preparar(ctx, repo, convenio, convenio.institucion.id, operadores)


async def avisar_distintivo_otorgado(ctx: Contexto, otorgado: DistintivoOtorgado, operadores: list[str]) -> None:
    """La institución (y los operadores del otorgante) saben que el distintivo se otorgó, con su credencial."""
    adjuntos = [(f"distintivo-{otorgado.distintivo_id}.jwt", "application/vc+jwt", otorgado.credencial_jwt)]
    await _preparar(ctx, PostgresNotificaciones(ctx.conn), otorgado, otorgado.institucion, operadores,
                    adjuntos if otorgado.credencial_jwt else [])


async def _preparar(ctx: Contexto, repo: PostgresNotificaciones, datos, institucion: str, operadores: list[str],
                    adjuntos: list[tuple[str, str, str]] = ()) -> None:
    mensaje = redactar(datos)
    destinatarios = dict.fromkeys(await repo.correos(institucion) + list(operadores))
    evento_id = str(ctx.causa.id)
    await repo.crear_entregas([
        (id_notificacion(evento_id, "email", d), evento_id, ctx.causa.type, institucion, "email", d,
         mensaje.asunto, mensaje.texto, mensaje.html, ctx.causa.model_dump_json(), json.dumps(list(adjuntos)))
        for d in destinatarios
    ])
