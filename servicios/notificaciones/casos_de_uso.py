"""Lo que hace notificaciones: decidir a quién avisar de cada hecho y dejar cada aviso como entrega pendiente."""

import json
import uuid
from datetime import date

from esquemas import CloudEvent
from esquemas.convenios import ConvenioFirmado, EvidenciaRechazada, ObjetivoCumplido
from esquemas.distintivos import DistintivoOtorgado, DistintivoRevocado, DistintivoVencido
from esquemas.ingreso import institucion_del_topico
from esquemas.rechazos import EntradaRechazada
from plataforma.consumo import Contexto
from servicios.notificaciones.config import AjustesNotificaciones
from servicios.notificaciones.destinatarios import destinatarios
from servicios.notificaciones.plantillas import redactar
from servicios.notificaciones.repositorio import PostgresNotificaciones

ESPACIO_NOTIFICACIONES = uuid.UUID("9a3c2b71-74f4-4a4e-a1a9-5c0d6f1e8b20")


def id_notificacion(evento_id: str, canal: str, destinatario: str) -> str:
    """Uno por evento, canal y destinatario: la llave que impide avisar dos veces lo mismo."""
    return str(uuid.uuid5(ESPACIO_NOTIFICACIONES, f"{evento_id}/{canal}/{destinatario}"))


async def convenio_firmado(ctx: Contexto, convenio: ConvenioFirmado, ajustes: AjustesNotificaciones) -> None:
    """Aprende los contactos del convenio (y qué quiere cada uno) y les confirma el convenio."""
    await PostgresNotificaciones(ctx.conn).guardar_contactos(convenio.institucion.id, convenio.convenio_id,
                                                             convenio.contactos)
    await avisar(ctx, ajustes, "convenio_firmado", convenio.institucion.id)


async def objetivo_cumplido(ctx: Contexto, _: ObjetivoCumplido, ajustes: AjustesNotificaciones) -> None:
    await avisar(ctx, ajustes, "objetivo_cumplido", ctx.causa.institucion)


async def evidencia_rechazada(ctx: Contexto, _: EvidenciaRechazada, ajustes: AjustesNotificaciones) -> None:
    await avisar(ctx, ajustes, "evidencia_rechazada", ctx.causa.institucion)


async def distintivo_otorgado(ctx: Contexto, otorgado: DistintivoOtorgado, ajustes: AjustesNotificaciones) -> None:
    """El aviso lleva la credencial firmada; el distintivo queda a la vista para avisar antes de que venza."""
    await PostgresNotificaciones(ctx.conn).seguir_distintivo(otorgado.distintivo_id, otorgado.institucion,
                                                             otorgado.vigencia.fin, ctx.causa.model_dump_json())
    adjuntos = [(f"distintivo-{otorgado.distintivo_id}.jwt", "application/vc+jwt", otorgado.credencial_jwt)]
    await avisar(ctx, ajustes, "distintivo_otorgado", otorgado.institucion,
                 adjuntos=adjuntos if otorgado.credencial_jwt else [])


async def distintivo_vencido(ctx: Contexto, vencido: DistintivoVencido, ajustes: AjustesNotificaciones) -> None:
    await PostgresNotificaciones(ctx.conn).cerrar_distintivo(vencido.distintivo_id, "vencido")
    await avisar(ctx, ajustes, "distintivo_vencido", vencido.institucion)


async def distintivo_revocado(ctx: Contexto, revocado: DistintivoRevocado, ajustes: AjustesNotificaciones) -> None:
    await PostgresNotificaciones(ctx.conn).cerrar_distintivo(revocado.distintivo_id, "revocado")
    await avisar(ctx, ajustes, "distintivo_revocado", revocado.institucion)


async def reporte_rechazado(ctx: Contexto, rechazo: EntradaRechazada, ajustes: AjustesNotificaciones) -> None:
    """Cada reporte rechazado de una institución llega a su contacto técnico con lo que hay que corregir."""
    if institucion := institucion_del_topico(rechazo.topico):
        await avisar(ctx, ajustes, "rechazo", institucion)


async def avisar_por_vencer(ctx: Contexto, ajustes: AjustesNotificaciones, hoy: date | None = None) -> None:
    """Tarea por tiempo: 30, 7 y 1 días antes del fin de vigencia, sin que nadie envíe nada; una vez cada umbral."""
    hoy, repo = hoy or date.today(), PostgresNotificaciones(ctx.conn)
    avisados: set[str] = set()
    for umbral in sorted(ajustes.por_vencer_dias):
        for d in await repo.por_vencer(hoy, umbral):
            if d["distintivo_id"] in avisados:
                continue  # sólo el umbral más cercano: quien descubre 5 días restantes no recibe también el de 30
            avisados.add(d["distintivo_id"])
            otorgado = CloudEvent.model_validate_json(d["otorgado"])
            sub = Contexto(ctx.conn, ctx.servicio, otorgado)
            await avisar(sub, ajustes, "distintivo_por_vencer", d["institucion"],
                         evento_id=f"{otorgado.id}/por-vencer/{umbral}", dias=(d["vigencia_fin"] - hoy).days)
            ctx.salidas += sub.salidas


async def avisar(ctx: Contexto, ajustes: AjustesNotificaciones, aviso: str, institucion: str, *,
                 adjuntos: list[tuple[str, str, str]] = (), evento_id: str | None = None, **extra) -> None:
    repo = PostgresNotificaciones(ctx.conn)
    contactos = await repo.contactos(institucion, ctx.causa.data.get("convenio_id"))
    lista = destinatarios(aviso, institucion, contactos, ajustes.operadores_como_contactos(),
                          ajustes.webhooks_como_destinatarios())
    mensaje = redactar(aviso, ctx.causa.data, **extra)
    evento_id = evento_id or str(ctx.causa.id)
    cuerpo = cuerpo_webhook(ctx.causa)
    await repo.crear_entregas([
        (id_notificacion(evento_id, canal, destino), evento_id, ctx.causa.type, aviso, institucion, canal, destino,
         mensaje.asunto, mensaje.texto if canal == "email" else cuerpo, mensaje.html, ctx.causa.model_dump_json(),
         json.dumps(list(adjuntos) if canal == "email" else []))
        for canal, destino in lista
    ])


def cuerpo_webhook(causa: CloudEvent) -> str:
    """El evento tal cual, menos las direcciones de las personas de contacto: no viajan a ningún sistema."""
    evento = causa.model_dump(mode="json", exclude_none=True)
    evento["data"].pop("contactos", None)
    return json.dumps(evento, ensure_ascii=False)
