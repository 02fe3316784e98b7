"""La vida de un convenio: registrarlo, modificar sus objetivos, cancelarlo, y que venza solo."""

import json
from datetime import date, timedelta

from esquemas.comun import Objetivo as ObjetivoEsquema
from esquemas.convenios import ConvenioCancelado, ConvenioFirmado, ConvenioModificado
from esquemas.ingreso import ReporteConvenioCancelado, ReporteConvenioFirmado, ReporteConvenioModificado
from plataforma.consumo import Contexto
from plataforma.rechazos import Rechazo
from servicios.convenios.avance import recalcular
from servicios.convenios.dominio import Objetivo, problema_de_modificacion
from servicios.convenios.reglas import convenio_del_otorgante
from servicios.convenios.repositorio import PostgresConvenios


async def registrar_convenio(ctx: Contexto, reporte: ReporteConvenioFirmado, otorgantes: dict[str, str]) -> None:
    """El otorgante del programa registra un convenio; el mismo reporte dos veces registra uno."""
    otorgante = otorgantes.get(reporte.programa)
    if otorgante is None:
        raise Rechazo("programa_desconocido", f"El programa '{reporte.programa}' no existe en ALVA.", "data.programa")
    if reporte.otorgante != otorgante or ctx.causa.institucion != otorgante:
        raise Rechazo("otorgante_no_autorizado",
                      f"Sólo '{otorgante}' registra convenios del programa {reporte.programa}.", "data.otorgante")
    _ids_unicos(reporte.objetivos)
    repo = PostgresConvenios(ctx.conn)
    contenido = reporte.model_dump(mode="json")
    if previo := await repo.convenio(reporte.convenio_id):
        if previo["contenido"] and _mismo(previo["contenido"], contenido):
            return
        raise Rechazo("convenio_duplicado",
                      f"El convenio {reporte.convenio_id} ya está registrado con otro contenido; "
                      "para cambiar sus objetivos envíe una modificación.", "data.convenio_id")
    await repo.guardar(contenido)
    await repo.agregar_objetivos(reporte.convenio_id, contenido["objetivos"])
    ctx.emitir(ConvenioFirmado(**reporte.model_dump()), institucion=reporte.institucion.id, subject=reporte.convenio_id)
    await ctx.reanudar(f"convenio:{reporte.convenio_id}")


async def modificar_convenio(ctx: Contexto, reporte: ReporteConvenioModificado) -> None:
    """Nueva versión de los objetivos: lo cumplido se queda igual, lo nuevo o cambiado se cuenta desde lo ya hecho."""
    repo = PostgresConvenios(ctx.conn)
    convenio = await convenio_del_otorgante(ctx, repo, reporte.convenio_id)
    _ids_unicos(reporte.objetivos)
    actuales = {o.objetivo_id: o for o in await repo.objetivos(reporte.convenio_id)}
    nuevos = [Objetivo(**o.model_dump(mode="json")) for o in reporte.objetivos]
    if problema := problema_de_modificacion(list(actuales.values()), nuevos):
        raise Rechazo(*problema, campo="data.objetivos")
    version = convenio["version"] + 1
    cambiados = [o for o in nuevos if o.objetivo_id not in actuales or not o.mismo_compromiso(actuales[o.objetivo_id])]
    quitados = [i for i in actuales if i not in {o.objetivo_id for o in nuevos}]
    await repo.quitar_objetivos(reporte.convenio_id, quitados + [o.objetivo_id for o in cambiados])
    objetivos = [o.model_dump(mode="json") for o in reporte.objetivos]
    await repo.agregar_objetivos(reporte.convenio_id, [o for o in objetivos if o["objetivo_id"] in
                                                      {c.objetivo_id for c in cambiados}])
    await repo.guardar_version(reporte.convenio_id, version, objetivos, reporte.motivo)
    ctx.emitir(ConvenioModificado(convenio_id=reporte.convenio_id, version=version, objetivos=reporte.objetivos,
                                  motivo=reporte.motivo), institucion=convenio["institucion"], subject=reporte.convenio_id)
    for objetivo in cambiados:
        await recalcular(ctx, repo, convenio, objetivo, f"Versión {version} del convenio: {reporte.motivo}")


async def cancelar_convenio(ctx: Contexto, reporte: ReporteConvenioCancelado) -> None:
    repo = PostgresConvenios(ctx.conn)
    convenio = await convenio_del_otorgante(ctx, repo, reporte.convenio_id)
    await repo.cambiar_estado(reporte.convenio_id, "cancelado")
    ctx.emitir(ConvenioCancelado(convenio_id=reporte.convenio_id, motivo=reporte.motivo, fecha=reporte.fecha),
               institucion=convenio["institucion"], subject=reporte.convenio_id)


async def vencer_convenios(ctx: Contexto, ajustes=None) -> None:
    """Tarea por tiempo: el día después de terminar su vigencia, el convenio vence sin que nadie lo diga."""
    for c in await PostgresConvenios(ctx.conn).vencer(date.today()):
        ctx.emitir(ConvenioCancelado(convenio_id=c["convenio_id"], motivo=f"Terminó su vigencia el {c['vigencia_fin']}.",
                                     fecha=c["vigencia_fin"] + timedelta(days=1), por_vencimiento=True),
                   institucion=c["institucion"], subject=c["convenio_id"])


def _ids_unicos(objetivos: list[ObjetivoEsquema]) -> None:
    ids = [o.objetivo_id for o in objetivos]
    if repetidos := sorted({i for i in ids if ids.count(i) > 1}):
        raise Rechazo("objetivos_repetidos", f"Objetivos con el mismo id: {', '.join(repetidos)}.", "data.objetivos")


def _mismo(guardado, contenido: dict) -> bool:
    return (json.loads(guardado) if isinstance(guardado, str) else guardado) == contenido
