"""Lo que hace capacitación: aprender los convenios y llevar cada sesión de programada a completada o cancelada."""

from esquemas.capacitacion import ConstanciaEmitida, SesionCancelada, SesionCompletada, SesionProgramada
from esquemas.convenios import ConvenioCancelado, ConvenioFirmado
from esquemas.ingreso import (
    ReporteSesionCancelada,
    ReporteSesionCompletada,
    ReporteSesionCorregida,
    ReporteSesionProgramada,
)
from plataforma.contexto import Contexto
from plataforma.rechazos import Aplazar, Rechazo
from servicios.capacitacion.dominio import ConvenioConocido, Sesion, id_constancia, nuevos
from servicios.capacitacion.repositorio import RepositorioCapacitacion
from servicios.comun import huella


def conocer_convenio(ctx: Contexto, convenio: ConvenioFirmado) -> None:
    """Guarda la copia propia del convenio y atiende, en orden, los reportes que lo esperaban."""
    ctx.repo.guardar(ConvenioConocido(convenio.convenio_id, convenio.institucion.id, convenio.vigencia.inicio,
                                      convenio.vigencia.fin))
    ctx.reanudar(f"convenio:{convenio.convenio_id}")


def olvidar_convenio(ctx: Contexto, cancelado: ConvenioCancelado) -> None:
    """Un convenio cancelado o vencido ya no admite sesiones."""
    repo: RepositorioCapacitacion = ctx.repo
    if (convenio := repo.convenio(cancelado.convenio_id)) is not None:
        estado = "vencido" if cancelado.por_vencimiento else "cancelado"
        repo.guardar(ConvenioConocido(convenio.convenio_id, convenio.institucion, convenio.vigencia_inicio,
                                      convenio.vigencia_fin, estado))


def programar_sesion(ctx: Contexto, reporte: ReporteSesionProgramada) -> None:
    repo: RepositorioCapacitacion = ctx.repo
    institucion = ctx.causa.institucion
    _convenio_admite(ctx, reporte.convenio_id, reporte.fecha)
    contenido = reporte.model_dump(mode="json")
    if previa := repo.sesion(institucion, reporte.sesion_id):
        if previa.huella == huella(contenido):
            return
        raise _duplicada(reporte.sesion_id)
    repo.guardar(Sesion(institucion, reporte.sesion_id, reporte.convenio_id, "programada", huella(contenido), contenido))
    ctx.emitir(SesionProgramada(**reporte.model_dump(), institucion=institucion), institucion=institucion,
               subject=reporte.sesion_id)


def reportar_sesion(ctx: Contexto, reporte: ReporteSesionCompletada) -> None:
    """Una sesión impartida (programada antes o no): se registra una vez y da una constancia por asistente."""
    repo: RepositorioCapacitacion = ctx.repo
    _convenio_admite(ctx, reporte.convenio_id, reporte.fecha)
    contenido = reporte.model_dump(mode="json")
    previa = repo.sesion(ctx.causa.institucion, reporte.sesion_id)
    if previa is not None:
        _misma_sesion(previa, reporte.convenio_id)
        if previa.estado == "completada":
            if previa.huella == huella(contenido):
                return
            raise _duplicada(reporte.sesion_id)
    _completar(ctx, reporte, contenido, version=1, previa=previa)


def corregir_sesion(ctx: Contexto, correccion: ReporteSesionCorregida) -> None:
    """Una sesión completada cambia (asistentes, horas…): la nueva versión sustituye a la anterior."""
    repo: RepositorioCapacitacion = ctx.repo
    _convenio_admite(ctx, correccion.convenio_id, correccion.fecha)
    previa = repo.sesion(ctx.causa.institucion, correccion.sesion_id)
    if previa is None or previa.estado != "completada":
        raise Rechazo("sesion_no_completada", f"La sesión {correccion.sesion_id} no está completada; sólo una "
                      "sesión completada se corrige.", "data.sesion_id")
    _misma_sesion(previa, correccion.convenio_id)
    reporte = ReporteSesionCompletada(**correccion.model_dump(exclude={"motivo"}))
    contenido = reporte.model_dump(mode="json")
    if previa.huella == huella(contenido):
        return
    _completar(ctx, reporte, contenido, version=previa.version + 1, previa=previa)


def cancelar_sesion(ctx: Contexto, reporte: ReporteSesionCancelada) -> None:
    """Cancelar una sesión ya completada deshace lo que aportó; cancelarla dos veces no hace nada."""
    repo: RepositorioCapacitacion = ctx.repo
    institucion = ctx.causa.institucion
    _convenio_conocido(repo, reporte.convenio_id)
    if problema := repo.convenio(reporte.convenio_id).problema_para(institucion, None):
        if problema[0] == "convenio_ajeno":
            raise Rechazo(*problema)
    previa = repo.sesion(institucion, reporte.sesion_id)
    if previa is None:
        raise Rechazo("sesion_desconocida", f"No hay sesión {reporte.sesion_id} reportada.", "data.sesion_id")
    _misma_sesion(previa, reporte.convenio_id)
    repo.guardar(Sesion(previa.institucion, previa.sesion_id, previa.convenio_id, "cancelada", previa.huella,
                        previa.contenido, previa.version, previa.con_constancia))
    ctx.emitir(SesionCancelada(sesion_id=reporte.sesion_id, convenio_id=reporte.convenio_id, institucion=institucion,
                               motivo=reporte.motivo), institucion=institucion, subject=reporte.sesion_id)


def _completar(ctx: Contexto, reporte: ReporteSesionCompletada, contenido: dict, *, version: int,
               previa: Sesion | None) -> None:
    repo: RepositorioCapacitacion = ctx.repo
    institucion = ctx.causa.institucion
    ya = previa.con_constancia if previa else []
    por_dar = nuevos(reporte.asistentes, ya)
    repo.guardar(Sesion(institucion, reporte.sesion_id, reporte.convenio_id, "completada", huella(contenido), contenido,
                        version, ya + por_dar))
    ctx.emitir_datos(SesionCompletada.tipo, {**contenido, "institucion": institucion, "version": version},
                     institucion=institucion, subject=reporte.sesion_id)
    comun = {"sesion_id": reporte.sesion_id, "convenio_id": reporte.convenio_id, "institucion": institucion,
             "tema": reporte.tema, "fecha": contenido["fecha"], "horas": reporte.horas}
    for asistente in por_dar:
        constancia_id = id_constancia(institucion, reporte.sesion_id, asistente)  # la sesión la guarda (con_constancia)
        ctx.emitir_datos(ConstanciaEmitida.tipo, {"constancia_id": constancia_id, "asistente": asistente, **comun},
                         institucion=institucion, subject=constancia_id)


def _convenio_conocido(repo: RepositorioCapacitacion, convenio_id: str) -> ConvenioConocido:
    convenio = repo.convenio(convenio_id)
    if convenio is None:
        # Llegó antes que su convenio: espera, no se rechaza (ver README, "Out-of-order arrival").
        raise Aplazar(f"convenio:{convenio_id}", "convenio_desconocido",
                      f"El convenio {convenio_id} no está registrado en ALVA; verifique el id con el otorgante.")
    return convenio


def _convenio_admite(ctx: Contexto, convenio_id: str, fecha) -> None:
    convenio = _convenio_conocido(ctx.repo, convenio_id)
    if problema := convenio.problema_para(ctx.causa.institucion, fecha):
        codigo, motivo, campo = problema
        raise Rechazo(codigo, motivo.replace("La fecha", "La sesión del", 1), campo)


def _misma_sesion(previa: Sesion, convenio_id: str) -> None:
    if previa.convenio_id != convenio_id:
        raise Rechazo("sesion_de_otro_convenio", f"La sesión {previa.sesion_id} está registrada en el convenio "
                      f"{previa.convenio_id}.", "data.convenio_id")
    if previa.estado == "cancelada":
        raise Rechazo("sesion_cancelada", f"La sesión {previa.sesion_id} fue cancelada; repórtela con otro id.",
                      "data.sesion_id")


def _duplicada(sesion_id: str) -> Rechazo:
    return Rechazo("sesion_duplicada_distinta", f"La sesión {sesion_id} ya se reportó con otro contenido; para "
                   "corregirla envíe mx.alva.ingreso.sesion.corregida.v1.", "data.sesion_id")
