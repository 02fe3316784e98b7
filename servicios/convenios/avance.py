"""El avance de los objetivos: lo que aportan sesiones, actividades y evidencias, y cómo se publica cada cambio."""

from dataclasses import asdict
from datetime import date

from esquemas.capacitacion import SesionCancelada, SesionCompletada
from esquemas.convenios import EvidenciaRecibida, EvidenciaRechazada, ObjetivoAvanzado, ObjetivoCumplido, ObjetivoRevertido
from esquemas.ingreso import Dictamen, ReporteActividad, ReporteEvidenciaEnviada, ReporteEvidenciaRevisada
from plataforma.consumo import Contexto
from plataforma.rechazos import Rechazo
from servicios.convenios.dominio import Actividad, EvidenciaAprobada, Hecho, Objetivo, Sesion, aporte, huella
from servicios.convenios.reglas import convenio_del_otorgante, convenio_para_reportar, convenio_registrado
from servicios.convenios.repositorio import PostgresConvenios

CLASES = {"sesion": Sesion, "actividad": Actividad, "evidencia": EvidenciaAprobada}


async def contar_sesion(ctx: Contexto, sesion: SesionCompletada) -> None:
    """Una sesión completada (o su corrección) aporta a los objetivos que la miden."""
    repo = PostgresConvenios(ctx.conn)
    convenio = await convenio_registrado(repo, sesion.convenio_id)
    hecho = Sesion(sesion.sesion_id, sesion.tema, sesion.modalidad.value, sesion.fecha, sesion.horas,
                   tuple(sesion.asistentes))
    await registrar_hecho(ctx, repo, convenio, hecho, f"Sesión {sesion.sesion_id} (versión {sesion.version})")


async def descontar_sesion(ctx: Contexto, sesion: SesionCancelada) -> None:
    """Una sesión cancelada deja de aportar; un objetivo que cae debajo de su meta se reporta revertido."""
    repo = PostgresConvenios(ctx.conn)
    convenio = await convenio_registrado(repo, sesion.convenio_id)
    if await repo.borrar_hecho(sesion.convenio_id, f"sesion:{sesion.sesion_id}"):
        await aplicar(ctx, repo, convenio, f"sesion:{sesion.sesion_id}", None, date.today(),
                      f"Sesión {sesion.sesion_id} cancelada: {sesion.motivo}")


async def registrar_actividad(ctx: Contexto, reporte: ReporteActividad) -> None:
    """Asesorías, campañas o material que la institución reporta con su cantidad."""
    repo = PostgresConvenios(ctx.conn)
    convenio = await convenio_para_reportar(ctx, repo, reporte.convenio_id, reporte.fecha)
    if not any(o.indicador == reporte.indicador for o in await repo.objetivos(reporte.convenio_id)):
        raise Rechazo("indicador_sin_objetivo",
                      f"El convenio {reporte.convenio_id} no tiene objetivos de {reporte.indicador.value}.", "data.indicador")
    hecho = Actividad(reporte.actividad_id, reporte.indicador.value, reporte.cantidad, reporte.fecha, reporte.tema,
                      reporte.modalidad.value if reporte.modalidad else None)
    previa = await repo.huella_de_hecho(reporte.convenio_id, hecho.origen)
    if previa is not None and previa != huella(asdict(hecho)):
        raise Rechazo("actividad_duplicada_distinta",
                      f"La actividad {reporte.actividad_id} ya se reportó con otro contenido.", "data.actividad_id")
    await registrar_hecho(ctx, repo, convenio, hecho, f"Actividad {reporte.actividad_id}")


async def recibir_evidencia(ctx: Contexto, reporte: ReporteEvidenciaEnviada) -> None:
    """La institución entrega evidencia de un objetivo que se prueba con documentos; queda en revisión."""
    repo = PostgresConvenios(ctx.conn)
    await convenio_para_reportar(ctx, repo, reporte.convenio_id)
    objetivo = await _objetivo(repo, reporte.convenio_id, reporte.objetivo_id)
    if not objetivo.por_evidencia:
        raise Rechazo("objetivo_sin_evidencia", f"El objetivo '{objetivo.objetivo_id}' se cuenta solo "
                      f"({objetivo.indicador}); no recibe evidencia.", "data.objetivo_id")
    if objetivo.cumplido:
        raise Rechazo("objetivo_ya_cumplido", f"El objetivo '{objetivo.objetivo_id}' ya está cumplido.", "data.objetivo_id")
    firma = huella(reporte.model_dump(mode="json"))
    if previa := await repo.evidencia(reporte.convenio_id, reporte.evidencia_id):
        if previa["huella"] == firma:
            return
        raise Rechazo("evidencia_duplicada_distinta", f"La evidencia {reporte.evidencia_id} ya se entregó con otro "
                      "contenido; entregue la nueva con otro evidencia_id.", "data.evidencia_id")
    await repo.guardar_evidencia(reporte.convenio_id, reporte.evidencia_id, reporte.objetivo_id, reporte.descripcion,
                                 reporte.documento, firma)
    ctx.emitir(EvidenciaRecibida(**reporte.model_dump()), institucion=ctx.causa.institucion, subject=reporte.convenio_id)


async def revisar_evidencia(ctx: Contexto, revision: ReporteEvidenciaRevisada) -> None:
    """El otorgante aprueba (el objetivo avanza) o rechaza con motivo (la institución puede enviar otra)."""
    repo = PostgresConvenios(ctx.conn)
    convenio = await convenio_del_otorgante(ctx, repo, revision.convenio_id)
    evidencia = await repo.evidencia(revision.convenio_id, revision.evidencia_id)
    if evidencia is None or evidencia["objetivo_id"] != revision.objetivo_id:
        raise Rechazo("evidencia_desconocida", f"No hay evidencia {revision.evidencia_id} del objetivo "
                      f"'{revision.objetivo_id}' en el convenio {revision.convenio_id}.", "data.evidencia_id")
    if evidencia["estado"] == revision.dictamen.value:
        return
    if evidencia["estado"] != "recibida":
        raise Rechazo("evidencia_ya_revisada", f"La evidencia {revision.evidencia_id} ya fue {evidencia['estado']}.",
                      "data.dictamen")
    await repo.dictaminar(revision.convenio_id, revision.evidencia_id, revision.dictamen.value, revision.motivo)
    if revision.dictamen is Dictamen.rechazada:
        ctx.emitir(EvidenciaRechazada(convenio_id=revision.convenio_id, objetivo_id=revision.objetivo_id,
                                      evidencia_id=revision.evidencia_id, motivo=revision.motivo),
                   institucion=convenio["institucion"], subject=revision.convenio_id)
        return
    hecho = EvidenciaAprobada(revision.evidencia_id, revision.objetivo_id, ctx.causa.time.date())
    await registrar_hecho(ctx, repo, convenio, hecho, f"Evidencia {revision.evidencia_id} aprobada")


async def registrar_hecho(ctx: Contexto, repo: PostgresConvenios, convenio, hecho: Hecho, motivo: str) -> None:
    contenido = asdict(hecho)
    if await repo.huella_de_hecho(convenio["convenio_id"], hecho.origen) == huella(contenido):
        return
    clase = next(nombre for nombre, c in CLASES.items() if isinstance(hecho, c))
    await repo.guardar_hecho(convenio["convenio_id"], hecho.origen, clase, contenido, huella(contenido))
    await aplicar(ctx, repo, convenio, hecho.origen, hecho, hecho.fecha, motivo)


async def aplicar(ctx: Contexto, repo: PostgresConvenios, convenio, origen: str, hecho: Hecho | None, fecha: date,
                  motivo: str, objetivos: list[Objetivo] | None = None) -> None:
    """Lo que `origen` aporta a cada objetivo pasa a ser lo del `hecho` (None: nada), y se publica cada cambio."""
    for objetivo in objetivos if objetivos is not None else await repo.objetivos(convenio["convenio_id"]):
        unidades = aporte(objetivo, hecho) if hecho else []
        valor = await repo.reemplazar_unidades(convenio["convenio_id"], objetivo.objetivo_id, origen, unidades)
        await publicar_valor(ctx, repo, convenio, objetivo, valor, fecha, motivo)


async def recalcular(ctx: Contexto, repo: PostgresConvenios, convenio, objetivo: Objetivo, motivo: str) -> None:
    """Un objetivo nuevo o cambiado se cuenta desde todo lo ya registrado del convenio."""
    valor, fecha = objetivo.valor, ctx.causa.time.date()
    for clase, contenido in await repo.hechos(convenio["convenio_id"]):
        hecho = hecho_desde(clase, contenido)
        if unidades := aporte(objetivo, hecho):
            valor = await repo.reemplazar_unidades(convenio["convenio_id"], objetivo.objetivo_id, hecho.origen, unidades)
    await publicar_valor(ctx, repo, convenio, objetivo, valor, fecha, motivo)


async def publicar_valor(ctx: Contexto, repo: PostgresConvenios, convenio, objetivo: Objetivo, valor: float,
                         fecha: date, motivo: str) -> None:
    if valor == objetivo.valor:
        return
    alcanza = objetivo.alcanza(valor)
    await repo.actualizar_objetivo(convenio["convenio_id"], objetivo.objetivo_id, valor, alcanza,
                                   fecha if alcanza else None)
    comun = dict(convenio_id=convenio["convenio_id"], objetivo_id=objetivo.objetivo_id, indicador=objetivo.indicador,
                 valor=valor, meta=objetivo.meta)
    emitir = _emisor(ctx, convenio)
    emitir(ObjetivoAvanzado(**comun, cumplido=alcanza))
    if alcanza and not objetivo.cumplido:
        emitir(ObjetivoCumplido(**comun, fecha=fecha))
    elif objetivo.cumplido and not alcanza:
        emitir(ObjetivoRevertido(**comun, motivo=motivo))


def hecho_desde(clase: str, contenido: dict) -> Hecho:
    datos = {**contenido, "fecha": date.fromisoformat(contenido["fecha"])}
    if "asistentes" in datos:
        datos["asistentes"] = tuple(datos["asistentes"])
    return CLASES[clase](**datos)


async def _objetivo(repo: PostgresConvenios, convenio_id: str, objetivo_id: str) -> Objetivo:
    for o in await repo.objetivos(convenio_id):
        if o.objetivo_id == objetivo_id:
            return o
    raise Rechazo("objetivo_desconocido", f"El convenio {convenio_id} no tiene el objetivo '{objetivo_id}'.",
                  "data.objetivo_id")


def _emisor(ctx: Contexto, convenio):
    return lambda datos: ctx.emitir(datos, institucion=convenio["institucion"], subject=convenio["convenio_id"])
