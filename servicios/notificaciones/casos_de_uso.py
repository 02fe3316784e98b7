"""Lo que hace notificaciones: decidir a quién avisar de cada hecho y dejar cada aviso como entrega pendiente."""

import uuid
from collections import Counter
from datetime import timedelta

import orjson

from esquemas.convenios import ConvenioFirmado, EvidenciaRechazada, ObjetivoCumplido
from esquemas.distintivos import DistintivoOtorgado, DistintivoRevocado, DistintivoVencido
from esquemas.ingreso import institucion_del_topico
from esquemas.rechazos import EntradaRechazada
from plataforma.contexto import Causa, Contexto
from plataforma.nube import uuid5
from servicios.notificaciones.config import AjustesNotificaciones
from servicios.notificaciones.destinatarios import destinatarios
from servicios.notificaciones.plantillas import redactar
from servicios.notificaciones.repositorio import (
    ContactoGuardado,
    DistintivoSeguido,
    Entrega,
    RechazoPorResumir,
    RepositorioNotificaciones,
)

ESPACIO_NOTIFICACIONES = uuid.UUID("9a3c2b71-74f4-4a4e-a1a9-5c0d6f1e8b20")
RECHAZOS_POR_RESUMEN = 50  # los que se detallan en un resumen; el resto sólo se cuenta


def id_notificacion(evento_id: str, canal: str, destinatario: str) -> str:
    """Uno por evento, canal y destinatario: la llave que impide avisar dos veces lo mismo."""
    return uuid5(ESPACIO_NOTIFICACIONES, f"{evento_id}/{canal}/{destinatario}")


def convenio_firmado(ctx: Contexto, convenio: ConvenioFirmado, ajustes: AjustesNotificaciones) -> None:
    """Aprende los contactos del convenio (y qué quiere cada uno) y les confirma el convenio."""
    for c in convenio.contactos:
        ctx.repo.guardar(ContactoGuardado(convenio.institucion.id, convenio.convenio_id, c.email, c.nombre, c.rol,
                                          c.avisos, ctx.ahora))
    avisar(ctx, ajustes, "convenio_firmado", convenio.institucion.id, convenio.model_dump(mode="json"))


def objetivo_cumplido(ctx: Contexto, cumplido: ObjetivoCumplido, ajustes: AjustesNotificaciones) -> None:
    avisar(ctx, ajustes, "objetivo_cumplido", ctx.causa.institucion, cumplido.model_dump(mode="json"))


def evidencia_rechazada(ctx: Contexto, rechazada: EvidenciaRechazada, ajustes: AjustesNotificaciones) -> None:
    avisar(ctx, ajustes, "evidencia_rechazada", ctx.causa.institucion, rechazada.model_dump(mode="json"))


def distintivo_otorgado(ctx: Contexto, otorgado: DistintivoOtorgado, ajustes: AjustesNotificaciones) -> None:
    """El aviso lleva la credencial firmada; el distintivo queda a la vista para avisar antes de que venza."""
    datos = otorgado.model_dump(mode="json")
    ctx.repo.guardar(DistintivoSeguido(otorgado.distintivo_id, otorgado.institucion, otorgado.vigencia.fin, "vigente",
                                       {"causa": _causa(ctx.causa), "datos": datos}))
    adjuntos = [(f"distintivo-{otorgado.distintivo_id}.jwt", "application/vc+jwt", otorgado.credencial_jwt)]
    avisar(ctx, ajustes, "distintivo_otorgado", otorgado.institucion, datos,
           adjuntos=adjuntos if otorgado.credencial_jwt else [])


def distintivo_vencido(ctx: Contexto, vencido: DistintivoVencido, ajustes: AjustesNotificaciones) -> None:
    _cerrar(ctx, vencido.distintivo_id, "vencido")
    avisar(ctx, ajustes, "distintivo_vencido", vencido.institucion, vencido.model_dump(mode="json"))


def distintivo_revocado(ctx: Contexto, revocado: DistintivoRevocado, ajustes: AjustesNotificaciones) -> None:
    _cerrar(ctx, revocado.distintivo_id, "revocado")
    avisar(ctx, ajustes, "distintivo_revocado", revocado.institucion, revocado.model_dump(mode="json"))


def reporte_rechazado(ctx: Contexto, rechazo: EntradaRechazada, ajustes: AjustesNotificaciones) -> None:
    """Cada rechazo de un reporte va a los webhooks al momento; por correo, sólo en el resumen del periodo (nada de
    lo que alguien envíe puede inundar a una persona)."""
    if (institucion := institucion_del_topico(rechazo.topico)) is None:
        return
    datos = rechazo.model_dump(mode="json")
    ctx.repo.guardar(RechazoPorResumir(ctx.causa.id, institucion, datos, _causa(ctx.causa), ctx.ahora))
    avisar(ctx, ajustes, "rechazo", institucion, datos, canales=("webhook",))


async def resumir_rechazos(ctx: Contexto, ajustes: AjustesNotificaciones) -> None:
    """Tarea por tiempo: un correo por institución y periodo con sus rechazos, contados por código."""
    repo: RepositorioNotificaciones = ctx.repo
    por_institucion = await repo.rechazos_por_resumir(ctx.ahora - timedelta(seconds=ajustes.rechazos_periodo_s))
    for institucion, rechazos in por_institucion.items():
        resumen = {"institucion": institucion, "total": len(rechazos),
                   "desde": rechazos[0].recibido.isoformat(timespec="seconds"),
                   "hasta": rechazos[-1].recibido.isoformat(timespec="seconds"),
                   "por_codigo": dict(Counter(r.datos["codigo"] for r in rechazos).most_common()),
                   "rechazos": [r.datos for r in rechazos[:RECHAZOS_POR_RESUMEN]]}
        primero = rechazos[0]
        sub = Contexto(repo, ctx.servicio, _desde(primero.causa), ctx.ahora)
        await repo.cargar({"contactos": {(institucion,)}})
        avisar(sub, ajustes, "rechazo", institucion, resumen, canales=("email",),
               evento_id=f"resumen:{institucion}:{primero.evento_id}")
        ctx.salidas += sub.salidas


async def avisar_por_vencer(ctx: Contexto, ajustes: AjustesNotificaciones) -> None:
    """Tarea por tiempo: 30, 7 y 1 días antes del fin de vigencia, sin que nadie envíe nada; una vez cada umbral."""
    repo: RepositorioNotificaciones = ctx.repo
    avisados: set[str] = set()
    for umbral in sorted(ajustes.por_vencer_dias):
        for d in await repo.por_vencer(ctx.hoy, umbral):
            if d.distintivo_id in avisados:
                continue  # sólo el umbral más cercano: quien descubre 5 días restantes no recibe también el de 30
            avisados.add(d.distintivo_id)
            await repo.cargar({"contactos": {(d.institucion,)}})
            sub = Contexto(repo, ctx.servicio, _desde(d.otorgado["causa"]), ctx.ahora)
            avisar(sub, ajustes, "distintivo_por_vencer", d.institucion, d.otorgado["datos"],
                   evento_id=f"{d.otorgado['causa']['id']}/por-vencer/{umbral}", dias=(d.vigencia_fin - ctx.hoy).days)
            ctx.salidas += sub.salidas


def avisar(ctx: Contexto, ajustes: AjustesNotificaciones, aviso: str, institucion: str, datos: dict, *,
           adjuntos: list[tuple[str, str, str]] = (), evento_id: str | None = None,
           canales: tuple[str, ...] = ("email", "webhook"), **extra) -> None:
    repo: RepositorioNotificaciones = ctx.repo
    lista = [(canal, destino) for canal, destino in destinatarios(
        aviso, institucion, repo.contactos(institucion, datos.get("convenio_id")), ajustes.operadores_como_contactos(),
        ajustes.webhooks_como_destinatarios()) if canal in canales]
    if not lista:
        return
    mensaje = redactar(aviso, datos, **extra)
    evento_id = evento_id or ctx.causa.id
    causa = _causa(ctx.causa)
    for canal, destino in lista:
        repo.guardar(Entrega(
            id_notificacion(evento_id, canal, destino), evento_id, ctx.causa.type, aviso, institucion, canal, destino,
            mensaje.asunto, mensaje.texto if canal == "email" else cuerpo_webhook(ctx.causa, datos), mensaje.html,
            causa, list(adjuntos) if canal == "email" else [], ctx.ahora))


def cuerpo_webhook(causa: Causa, datos: dict) -> str:
    """El evento (CloudEvent estructurado), menos las direcciones de las personas de contacto: no viajan a ningún
    sistema."""
    sobre = {k: v for k, v in causa.sobre().items() if k != "marca"}
    sobre["data"] = {k: v for k, v in datos.items() if k != "contactos"}
    return orjson.dumps(sobre).decode()


def _cerrar(ctx: Contexto, distintivo_id: str, estado: str) -> None:
    if (d := ctx.repo.distintivo(distintivo_id)) is not None:
        ctx.repo.guardar(DistintivoSeguido(d.distintivo_id, d.institucion, d.vigencia_fin, estado, d.otorgado))


def _causa(causa: Causa) -> dict:
    """Lo que una entrega recuerda de su causa, para publicar su desenlace como consecuencia de ella."""
    return causa.sobre()


def _desde(guardada: dict) -> Causa:
    return Causa.desde_sobre(guardada)
