"""La vida de un convenio: registrarlo, modificar sus objetivos, cancelarlo, y que venza solo."""

from dataclasses import replace
from datetime import timedelta

from esquemas.comun import Objetivo as ObjetivoEsquema
from esquemas.convenios import ConvenioCancelado, ConvenioFirmado, ConvenioModificado
from esquemas.ingreso import ReporteConvenioCancelado, ReporteConvenioFirmado, ReporteConvenioModificado
from plataforma.contexto import Contexto
from plataforma.rechazos import Rechazo
from servicios.convenios.avance import publicar_valor
from servicios.convenios.dominio import Objetivo, cambio, problema_de_modificacion
from servicios.convenios.reglas import convenio_del_otorgante
from servicios.convenios.repositorio import Convenio, RepositorioConvenios, Version


def registrar_convenio(ctx: Contexto, reporte: ReporteConvenioFirmado, otorgantes: dict[str, str]) -> None:
    """El otorgante del programa registra un convenio; el mismo reporte dos veces registra uno."""
    otorgante = otorgantes.get(reporte.programa)
    if otorgante is None:
        raise Rechazo("programa_desconocido", f"El programa '{reporte.programa}' no existe en ALVA.", "data.programa")
    if reporte.otorgante != otorgante or ctx.causa.institucion != otorgante:
        raise Rechazo("otorgante_no_autorizado",
                      f"Sólo '{otorgante}' registra convenios del programa {reporte.programa}.", "data.otorgante")
    _ids_unicos(reporte.objetivos)
    repo: RepositorioConvenios = ctx.repo
    contenido = reporte.model_dump(mode="json")
    if previo := repo.convenio(reporte.convenio_id):
        if previo.contenido == contenido:
            return
        raise Rechazo("convenio_duplicado",
                      f"El convenio {reporte.convenio_id} ya está registrado con otro contenido; "
                      "para cambiar sus objetivos envíe una modificación.", "data.convenio_id")
    repo.guardar(Convenio(reporte.convenio_id, reporte.programa, reporte.otorgante, reporte.institucion.id,
                          reporte.vigencia.inicio, reporte.vigencia.fin, "vigente", 1, contenido, ctx.ahora))
    _agregar_objetivos(repo, reporte.convenio_id, reporte.objetivos)
    repo.guardar(Version(reporte.convenio_id, 1, contenido["objetivos"], "Convenio firmado", ctx.ahora))
    ctx.emitir_datos(ConvenioFirmado.tipo, {**contenido, "version": 1}, institucion=reporte.institucion.id,
                     subject=reporte.convenio_id)
    ctx.reanudar(f"convenio:{reporte.convenio_id}")


def modificar_convenio(ctx: Contexto, reporte: ReporteConvenioModificado) -> None:
    """Nueva versión de los objetivos: lo cumplido se queda igual, lo nuevo o cambiado se cuenta desde lo ya hecho."""
    repo: RepositorioConvenios = ctx.repo
    convenio = convenio_del_otorgante(ctx, reporte.convenio_id)
    _ids_unicos(reporte.objetivos)
    actuales = {o.objetivo_id: o for o in repo.objetivos(reporte.convenio_id)}
    nuevos = [_objetivo(reporte.convenio_id, o) for o in reporte.objetivos]
    if problema := problema_de_modificacion(list(actuales.values()), nuevos):
        raise Rechazo(*problema, campo="data.objetivos")
    version = convenio.version + 1
    cambiados = [o for o in nuevos if o.objetivo_id not in actuales or not o.mismo_compromiso(actuales[o.objetivo_id])]
    quitados = [i for i in actuales if i not in {o.objetivo_id for o in nuevos}]
    for objetivo_id in quitados + [o.objetivo_id for o in cambiados if o.objetivo_id in actuales]:
        repo.quitar_objetivo(reporte.convenio_id, objetivo_id)
    for objetivo in cambiados:
        repo.guardar(objetivo)
    objetivos = [o.model_dump(mode="json") for o in reporte.objetivos]
    convenio = replace(convenio, version=version)
    repo.guardar(convenio)
    repo.guardar(Version(reporte.convenio_id, version, objetivos, reporte.motivo, ctx.ahora))
    ctx.emitir(ConvenioModificado(convenio_id=reporte.convenio_id, version=version, objetivos=reporte.objetivos,
                                  motivo=reporte.motivo), institucion=convenio.institucion, subject=reporte.convenio_id)
    recontar(ctx, convenio, [o.objetivo_id for o in cambiados], f"Versión {version} del convenio: {reporte.motivo}")


def cancelar_convenio(ctx: Contexto, reporte: ReporteConvenioCancelado) -> None:
    convenio = convenio_del_otorgante(ctx, reporte.convenio_id)
    ctx.repo.guardar(replace(convenio, estado="cancelado"))
    ctx.emitir(ConvenioCancelado(convenio_id=reporte.convenio_id, motivo=reporte.motivo, fecha=reporte.fecha),
               institucion=convenio.institucion, subject=reporte.convenio_id)


async def vencer_convenios(ctx: Contexto, ajustes=None) -> None:
    """Tarea por tiempo: el día después de terminar su vigencia, el convenio vence sin que nadie lo diga."""
    for c in await ctx.repo.vencer(ctx.hoy):
        ctx.emitir(ConvenioCancelado(convenio_id=c.convenio_id, motivo=f"Terminó su vigencia el {c.vigencia_fin}.",
                                     fecha=c.vigencia_fin + timedelta(days=1), por_vencimiento=True),
                   institucion=c.institucion, subject=c.convenio_id)


def _agregar_objetivos(repo: RepositorioConvenios, convenio_id: str, objetivos: list[ObjetivoEsquema]) -> None:
    for o in objetivos:
        repo.guardar(_objetivo(convenio_id, o))


def _objetivo(convenio_id: str, o: ObjetivoEsquema) -> Objetivo:
    return Objetivo(convenio_id, o.objetivo_id, o.indicador.value, o.meta, o.tema,
                    o.modalidad.value if o.modalidad else None, descripcion=o.descripcion)


def recontar(ctx: Contexto, convenio: Convenio, objetivo_ids: list[str], motivo: str) -> None:
    """Un objetivo nuevo o cambiado se cuenta desde todo lo ya registrado (lo único que recorre la historia, y
    sólo al modificar un convenio); cada uno publica su valor una vez."""
    repo: RepositorioConvenios = ctx.repo
    cuenta = repo.cuenta(convenio.convenio_id)
    hechos = [g.hecho for g in repo.hechos(convenio.convenio_id)]
    for objetivo in [o for o in repo.objetivos(convenio.convenio_id) if o.objetivo_id in objetivo_ids]:
        if total := sum(cambio(objetivo, None, h, cuenta) for h in hechos):
            publicar_valor(ctx, convenio, objetivo, objetivo.valor + total, motivo)
    repo.guardar_cuenta(convenio.convenio_id, cuenta)


def _ids_unicos(objetivos: list[ObjetivoEsquema]) -> None:
    ids = [o.objetivo_id for o in objetivos]
    if repetidos := sorted({i for i in ids if ids.count(i) > 1}):
        raise Rechazo("objetivos_repetidos", f"Objetivos con el mismo id: {', '.join(repetidos)}.", "data.objetivos")
