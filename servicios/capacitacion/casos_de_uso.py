"""Lo que hace capacitación: aprender los convenios y registrar las sesiones que reportan las instituciones."""

from esquemas import CloudEvent
from esquemas.capacitacion import ConstanciaEmitida, SesionCompletada
from esquemas.convenios import ConvenioFirmado
from esquemas.ingreso import ReporteSesionCompletada
from plataforma.consumo import Contexto
from plataforma.nube import Entrada
from plataforma.rechazos import Rechazo, mensajes_de_rechazo
from servicios.capacitacion.dominio import ConvenioConocido, huella, id_constancia
from servicios.capacitacion.repositorio import PostgresCapacitacion


async def conocer_convenio(ctx: Contexto, convenio: ConvenioFirmado) -> None:
    """Guarda la copia propia del convenio y atiende los reportes que lo esperaban."""
    repo = PostgresCapacitacion(ctx.conn)
    await repo.conocer_convenio(ConvenioConocido(
        convenio.convenio_id, convenio.institucion.id, convenio.vigencia.inicio, convenio.vigencia.fin, "vigente"))
    for p in await repo.sacar_pendientes(convenio.convenio_id):
        causa = CloudEvent.model_validate_json(p["evento"])
        sub = Contexto(ctx.conn, ctx.servicio, causa, (p["topico"], p["particion"], p["offset"]))
        try:
            async with ctx.conn.transaction():
                await reportar_sesion(sub, ReporteSesionCompletada.model_validate(causa.data))
            ctx.salidas += sub.salidas
        except Rechazo as rechazo:
            entrada = Entrada(p["topico"], p["particion"], p["offset"], causa.llave, causa.a_json(), (), evento=causa)
            ctx.salidas += mensajes_de_rechazo(entrada, rechazo, ctx.servicio, a_dlq=False)


async def reportar_sesion(ctx: Contexto, reporte: ReporteSesionCompletada) -> None:
    """Una sesión impartida: se registra una vez y da una constancia por asistente."""
    repo = PostgresCapacitacion(ctx.conn)
    institucion = ctx.causa.institucion
    convenio = await repo.convenio(reporte.convenio_id)
    if convenio is None:
        # Llegó antes que su convenio: espera, no se rechaza (ver README, "orden de llegada").
        await repo.apartar(reporte.convenio_id, ctx.causa.model_dump_json(), *ctx.posicion)
        return
    if problema := convenio.problema_para(institucion, reporte.fecha):
        raise Rechazo(*problema, campo="data.convenio_id" if problema[0] != "fecha_fuera_de_vigencia" else "data.fecha")
    contenido = reporte.model_dump(mode="json")
    previa = await repo.huella_de_sesion(institucion, reporte.sesion_id)
    if previa is not None:
        if previa == huella(contenido):
            return
        raise Rechazo("sesion_duplicada_distinta",
                      f"La sesión {reporte.sesion_id} ya se reportó con otro contenido; "
                      "para corregirla envíe una corrección.", "data.sesion_id")
    constancias = [(id_constancia(institucion, reporte.sesion_id, a), a) for a in dict.fromkeys(reporte.asistentes)]
    await repo.guardar_sesion(institucion, reporte.sesion_id, reporte.convenio_id, "completada", huella(contenido),
                              contenido, constancias)
    ctx.emitir(SesionCompletada(**reporte.model_dump(), institucion=institucion),
               institucion=institucion, subject=reporte.sesion_id)
    for constancia_id, asistente in constancias:
        ctx.emitir(ConstanciaEmitida(constancia_id=constancia_id, sesion_id=reporte.sesion_id,
                                     convenio_id=reporte.convenio_id, institucion=institucion, asistente=asistente,
                                     tema=reporte.tema, fecha=reporte.fecha, horas=reporte.horas),
                   institucion=institucion, subject=constancia_id)
