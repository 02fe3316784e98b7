"""El avance de los objetivos: lo que aportan sesiones, actividades y evidencias, y cómo se publica cada cambio."""

from dataclasses import asdict, replace

from esquemas.capacitacion import SesionCancelada, SesionCompletada
from esquemas.convenios import EvidenciaRecibida, EvidenciaRechazada, ObjetivoAvanzado, ObjetivoCumplido, ObjetivoRevertido
from esquemas.ingreso import Dictamen, ReporteActividad, ReporteEvidenciaEnviada, ReporteEvidenciaRevisada
from plataforma.contexto import Contexto
from plataforma.rechazos import Rechazo
from servicios.comun import huella
from servicios.convenios.dominio import Actividad, EvidenciaAprobada, Hecho, Objetivo, Sesion, cambio, clase_de, con_valor
from servicios.convenios.reglas import convenio_del_otorgante, convenio_para_reportar, convenio_registrado
from servicios.convenios.repositorio import Convenio, Evidencia, HechoGuardado, RepositorioConvenios


def contar_sesion(ctx: Contexto, sesion: SesionCompletada) -> None:
    """Una sesión completada (o su corrección) aporta a los objetivos que la miden."""
    convenio = convenio_registrado(ctx.repo, sesion.convenio_id)
    hecho = Sesion(sesion.sesion_id, sesion.tema, sesion.modalidad.value, sesion.fecha, sesion.horas,
                   tuple(sesion.asistentes))
    registrar_hecho(ctx, convenio, hecho, f"Sesión {sesion.sesion_id} (versión {sesion.version})")


def descontar_sesion(ctx: Contexto, sesion: SesionCancelada) -> None:
    """Una sesión cancelada deja de aportar; un objetivo que cae debajo de su meta se reporta revertido."""
    repo: RepositorioConvenios = ctx.repo
    convenio = convenio_registrado(repo, sesion.convenio_id)
    origen = f"sesion:{sesion.sesion_id}"
    if (previo := repo.hecho(sesion.convenio_id, origen)) is not None:
        repo.quitar_hecho(sesion.convenio_id, origen)
        aplicar(ctx, convenio, previo.hecho, None, f"Sesión {sesion.sesion_id} cancelada: {sesion.motivo}")


def registrar_actividad(ctx: Contexto, reporte: ReporteActividad) -> None:
    """Asesorías, campañas o material que la institución reporta con su cantidad."""
    repo: RepositorioConvenios = ctx.repo
    convenio = convenio_para_reportar(ctx, reporte.convenio_id, reporte.fecha)
    if not any(o.indicador == reporte.indicador for o in repo.objetivos(reporte.convenio_id)):
        raise Rechazo("indicador_sin_objetivo",
                      f"El convenio {reporte.convenio_id} no tiene objetivos de {reporte.indicador.value}.", "data.indicador")
    hecho = Actividad(reporte.actividad_id, reporte.indicador.value, reporte.cantidad, reporte.fecha, reporte.tema,
                      reporte.modalidad.value if reporte.modalidad else None)
    previo = repo.hecho(reporte.convenio_id, hecho.origen)
    if previo is not None and previo.huella != huella(asdict(hecho)):
        raise Rechazo("actividad_duplicada_distinta",
                      f"La actividad {reporte.actividad_id} ya se reportó con otro contenido.", "data.actividad_id")
    registrar_hecho(ctx, convenio, hecho, f"Actividad {reporte.actividad_id}")


def recibir_evidencia(ctx: Contexto, reporte: ReporteEvidenciaEnviada) -> None:
    """La institución entrega evidencia de un objetivo que se prueba con documentos; queda en revisión."""
    repo: RepositorioConvenios = ctx.repo
    convenio_para_reportar(ctx, reporte.convenio_id)
    objetivo = _objetivo(repo, reporte.convenio_id, reporte.objetivo_id)
    if not objetivo.por_evidencia:
        raise Rechazo("objetivo_sin_evidencia", f"El objetivo '{objetivo.objetivo_id}' se cuenta solo "
                      f"({objetivo.indicador}); no recibe evidencia.", "data.objetivo_id")
    if objetivo.cumplido:
        raise Rechazo("objetivo_ya_cumplido", f"El objetivo '{objetivo.objetivo_id}' ya está cumplido.", "data.objetivo_id")
    firma = huella(reporte.model_dump(mode="json"))
    if previa := repo.evidencia(reporte.convenio_id, reporte.evidencia_id):
        if previa.huella == firma:
            return
        raise Rechazo("evidencia_duplicada_distinta", f"La evidencia {reporte.evidencia_id} ya se entregó con otro "
                      "contenido; entregue la nueva con otro evidencia_id.", "data.evidencia_id")
    repo.guardar(Evidencia(reporte.convenio_id, reporte.evidencia_id, reporte.objetivo_id, reporte.descripcion,
                           reporte.documento, "recibida", None, firma))
    ctx.emitir(EvidenciaRecibida(**reporte.model_dump()), institucion=ctx.causa.institucion, subject=reporte.convenio_id)


def revisar_evidencia(ctx: Contexto, revision: ReporteEvidenciaRevisada) -> None:
    """El otorgante aprueba (el objetivo avanza) o rechaza con motivo (la institución puede enviar otra)."""
    repo: RepositorioConvenios = ctx.repo
    convenio = convenio_del_otorgante(ctx, revision.convenio_id)
    evidencia = repo.evidencia(revision.convenio_id, revision.evidencia_id)
    if evidencia is None or evidencia.objetivo_id != revision.objetivo_id:
        raise Rechazo("evidencia_desconocida", f"No hay evidencia {revision.evidencia_id} del objetivo "
                      f"'{revision.objetivo_id}' en el convenio {revision.convenio_id}.", "data.evidencia_id")
    if evidencia.estado == revision.dictamen.value:
        return
    if evidencia.estado != "recibida":
        raise Rechazo("evidencia_ya_revisada", f"La evidencia {revision.evidencia_id} ya fue {evidencia.estado}.",
                      "data.dictamen")
    repo.guardar(replace(evidencia, estado=revision.dictamen.value, motivo=revision.motivo))
    if revision.dictamen is Dictamen.rechazada:
        ctx.emitir(EvidenciaRechazada(convenio_id=revision.convenio_id, objetivo_id=revision.objetivo_id,
                                      evidencia_id=revision.evidencia_id, motivo=revision.motivo),
                   institucion=convenio.institucion, subject=revision.convenio_id)
        return
    hecho = EvidenciaAprobada(revision.evidencia_id, revision.objetivo_id, ctx.hoy)
    registrar_hecho(ctx, convenio, hecho, f"Evidencia {revision.evidencia_id} aprobada")


def registrar_hecho(ctx: Contexto, convenio: Convenio, hecho: Hecho, motivo: str) -> None:
    """Lo que aporta el origen del hecho pasa a ser lo de este hecho; el mismo hecho otra vez no cambia nada."""
    repo: RepositorioConvenios = ctx.repo
    contenido = dict(vars(hecho))  # lo mismo que `asdict` (los campos son planos), sin copiar a fondo
    firma = huella(contenido)
    previo = repo.hecho(convenio.convenio_id, hecho.origen)
    if previo is not None and previo.huella == firma:
        return
    repo.guardar(HechoGuardado(convenio.convenio_id, hecho.origen, clase_de(hecho),
                               {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in contenido.items()},
                               firma))
    aplicar(ctx, convenio, previo.hecho if previo else None, hecho, motivo)


def aplicar(ctx: Contexto, convenio: Convenio, antes: Hecho | None, despues: Hecho | None, motivo: str,
            objetivos: list[Objetivo] | None = None) -> None:
    """Lo que aporta un origen pasa de `antes` a `despues`; cada objetivo suma sólo la diferencia."""
    repo: RepositorioConvenios = ctx.repo
    cuenta = repo.cuenta(convenio.convenio_id)
    for objetivo in objetivos if objetivos is not None else repo.objetivos(convenio.convenio_id):
        if delta := cambio(objetivo, antes, despues, cuenta):
            publicar_valor(ctx, convenio, objetivo, objetivo.valor + delta, motivo)
    repo.guardar_cuenta(convenio.convenio_id, cuenta)


def publicar_valor(ctx: Contexto, convenio: Convenio, objetivo: Objetivo, valor: float, motivo: str) -> None:
    nuevo = con_valor(objetivo, valor, ctx.hoy)
    ctx.repo.guardar(nuevo)
    comun = dict(convenio_id=convenio.convenio_id, objetivo_id=objetivo.objetivo_id, indicador=objetivo.indicador,
                 valor=valor, meta=objetivo.meta)
    emitir = _emisor(ctx, convenio)
    emitir(ObjetivoAvanzado.tipo, {**comun, "cumplido": nuevo.cumplido})
    if nuevo.cumplido and not objetivo.cumplido:
        emitir(ObjetivoCumplido.tipo, {**comun, "fecha": ctx.hoy.isoformat()})
    elif objetivo.cumplido and not nuevo.cumplido:
        emitir(ObjetivoRevertido.tipo, {**comun, "motivo": motivo})


def _objetivo(repo: RepositorioConvenios, convenio_id: str, objetivo_id: str) -> Objetivo:
    for o in repo.objetivos(convenio_id):
        if o.objetivo_id == objetivo_id:
            return o
    raise Rechazo("objetivo_desconocido", f"El convenio {convenio_id} no tiene el objetivo '{objetivo_id}'.",
                  "data.objetivo_id")


def _emisor(ctx: Contexto, convenio: Convenio):
    return lambda tipo, datos: ctx.emitir_datos(tipo, datos, institucion=convenio.institucion,
                                                 subject=convenio.convenio_id)
