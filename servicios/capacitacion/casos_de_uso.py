"""Lo que hace capacitación: aprender los convenios y llevar cada sesión de programada a completada o cancelada."""

from esquemas.capacitacion import ConstanciaEmitida, SesionCancelada, SesionCompletada, SesionProgramada
from esquemas.convenios import ConvenioCancelado, ConvenioFirmado
from esquemas.ingreso import (
    ReporteSesionCancelada,
    ReporteSesionCompletada,
    ReporteSesionCorregida,
    ReporteSesionProgramada,
)
from plataforma.consumo import Contexto
from plataforma.rechazos import Aplazar, Rechazo
from servicios.capacitacion.dominio import ConvenioConocido, huella, id_constancia
from servicios.capacitacion.repositorio import PostgresCapacitacion


async def conocer_convenio(ctx: Contexto, convenio: ConvenioFirmado) -> None:
    """Guarda la copia propia del convenio y atiende, en orden, los reportes que lo esperaban."""
    await PostgresCapacitacion(ctx.conn).conocer_convenio(ConvenioConocido(
        convenio.convenio_id, convenio.institucion.id, convenio.vigencia.inicio, convenio.vigencia.fin, "vigente"))
    await ctx.reanudar(f"convenio:{convenio.convenio_id}")


async def olvidar_convenio(ctx: Contexto, cancelado: ConvenioCancelado) -> None:
    """Un convenio cancelado o vencido ya no admite sesiones."""
    estado = "vencido" if cancelado.por_vencimiento else "cancelado"
    await PostgresCapacitacion(ctx.conn).cambiar_estado_convenio(cancelado.convenio_id, estado)


async def programar_sesion(ctx: Contexto, reporte: ReporteSesionProgramada) -> None:
    repo = PostgresCapacitacion(ctx.conn)
    await _convenio_admite(ctx, repo, reporte.convenio_id, reporte.fecha)
    contenido = reporte.model_dump(mode="json")
    if previa := await repo.sesion(ctx.causa.institucion, reporte.sesion_id):
        if previa["huella"] == huella(contenido):
            return
        raise _duplicada(reporte.sesion_id)
    await repo.guardar_sesion(ctx.causa.institucion, reporte.sesion_id, reporte.convenio_id, "programada",
                              huella(contenido), contenido)
    ctx.emitir(SesionProgramada(**reporte.model_dump(), institucion=ctx.causa.institucion),
               institucion=ctx.causa.institucion, subject=reporte.sesion_id)


async def reportar_sesion(ctx: Contexto, reporte: ReporteSesionCompletada) -> None:
    """Una sesión impartida (programada antes o no): se registra una vez y da una constancia por asistente."""
    repo = PostgresCapacitacion(ctx.conn)
    await _convenio_admite(ctx, repo, reporte.convenio_id, reporte.fecha)
    contenido = reporte.model_dump(mode="json")
    if previa := await repo.sesion(ctx.causa.institucion, reporte.sesion_id):
        _misma_sesion(previa, reporte.convenio_id)
        if previa["estado"] == "completada":
            if previa["huella"] == huella(contenido):
                return
            raise _duplicada(reporte.sesion_id)
    await repo.guardar_sesion(ctx.causa.institucion, reporte.sesion_id, reporte.convenio_id, "completada",
                              huella(contenido), contenido)
    await _completar(ctx, repo, reporte, version=1)


async def corregir_sesion(ctx: Contexto, correccion: ReporteSesionCorregida) -> None:
    """Una sesión completada cambia (asistentes, horas…): la nueva versión sustituye a la anterior."""
    repo = PostgresCapacitacion(ctx.conn)
    await _convenio_admite(ctx, repo, correccion.convenio_id, correccion.fecha)
    previa = await repo.sesion(ctx.causa.institucion, correccion.sesion_id)
    if previa is None or previa["estado"] != "completada":
        raise Rechazo("sesion_no_completada", f"La sesión {correccion.sesion_id} no está completada; sólo una "
                      "sesión completada se corrige.", "data.sesion_id")
    _misma_sesion(previa, correccion.convenio_id)
    reporte = ReporteSesionCompletada(**correccion.model_dump(exclude={"motivo"}))
    contenido = reporte.model_dump(mode="json")
    if previa["huella"] == huella(contenido):
        return
    version = previa["version"] + 1
    await repo.guardar_sesion(ctx.causa.institucion, reporte.sesion_id, reporte.convenio_id, "completada",
                              huella(contenido), contenido, version)
    await _completar(ctx, repo, reporte, version)


async def cancelar_sesion(ctx: Contexto, reporte: ReporteSesionCancelada) -> None:
    """Cancelar una sesión ya completada deshace lo que aportó; cancelarla dos veces no hace nada."""
    repo = PostgresCapacitacion(ctx.conn)
    convenio = await _convenio_conocido(repo, reporte.convenio_id)
    if convenio.institucion != ctx.causa.institucion:
        raise Rechazo("convenio_ajeno", f"El convenio {reporte.convenio_id} no es de '{ctx.causa.institucion}'.",
                      "data.convenio_id")
    previa = await repo.sesion(ctx.causa.institucion, reporte.sesion_id)
    if previa is None:
        raise Rechazo("sesion_desconocida", f"No hay sesión {reporte.sesion_id} reportada.", "data.sesion_id")
    _misma_sesion(previa, reporte.convenio_id)
    if previa["estado"] == "cancelada":
        return
    await repo.cancelar_sesion(ctx.causa.institucion, reporte.sesion_id)
    ctx.emitir(SesionCancelada(sesion_id=reporte.sesion_id, convenio_id=reporte.convenio_id,
                               institucion=ctx.causa.institucion, motivo=reporte.motivo),
               institucion=ctx.causa.institucion, subject=reporte.sesion_id)


async def _completar(ctx: Contexto, repo: PostgresCapacitacion, reporte: ReporteSesionCompletada, version: int) -> None:
    institucion = ctx.causa.institucion
    ctx.emitir(SesionCompletada(**reporte.model_dump(), institucion=institucion, version=version),
               institucion=institucion, subject=reporte.sesion_id)
    constancias = [(id_constancia(institucion, reporte.sesion_id, a), a) for a in dict.fromkeys(reporte.asistentes)]
    nuevas = await repo.constancias_nuevas(institucion, reporte.sesion_id, constancias)
    for constancia_id, asistente in constancias:
        if constancia_id in nuevas:
            ctx.emitir(ConstanciaEmitida(constancia_id=constancia_id, sesion_id=reporte.sesion_id,
                                         convenio_id=reporte.convenio_id, institucion=institucion, asistente=asistente,
                                         tema=reporte.tema, fecha=reporte.fecha, horas=reporte.horas),
                       institucion=institucion, subject=constancia_id)


async def _convenio_conocido(repo: PostgresCapacitacion, convenio_id: str) -> ConvenioConocido:
    convenio = await repo.convenio(convenio_id)
    if convenio is None:
        # Llegó antes que su convenio: espera, no se rechaza (ver README, "Out-of-order arrival").
        raise Aplazar(f"convenio:{convenio_id}", "convenio_desconocido",
                      f"El convenio {convenio_id} no está registrado en ALVA; verifique el id con el otorgante.")
    return convenio


async def _convenio_admite(ctx: Contexto, repo: PostgresCapacitacion, convenio_id: str, fecha) -> None:
    convenio = await _convenio_conocido(repo, convenio_id)
    if problema := convenio.problema_para(ctx.causa.institucion, fecha):
        raise Rechazo(*problema, campo="data.fecha" if problema[0] == "fecha_fuera_de_vigencia" else "data.convenio_id")


def _misma_sesion(previa, convenio_id: str) -> None:
    if previa["convenio_id"] != convenio_id:
        raise Rechazo("sesion_de_otro_convenio", f"La sesión {previa['sesion_id']} está registrada en el convenio "
                      f"{previa['convenio_id']}.", "data.convenio_id")
    if previa["estado"] == "cancelada":
        raise Rechazo("sesion_cancelada", f"La sesión {previa['sesion_id']} fue cancelada; repórtela con otro id.",
                      "data.sesion_id")


def _duplicada(sesion_id: str) -> Rechazo:
    return Rechazo("sesion_duplicada_distinta", f"La sesión {sesion_id} ya se reportó con otro contenido; para "
                   "corregirla envíe mx.alva.ingreso.sesion.corregida.v1.", "data.sesion_id")
