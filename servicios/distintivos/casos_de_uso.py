"""El evaluador: sigue convenios, objetivos y sesiones, y decide solo cuándo otorgar, revocar o dejar vencer."""

from dataclasses import replace

from esquemas.capacitacion import SesionCancelada, SesionCompletada
from esquemas.comun import Vigencia
from esquemas.convenios import (
    ConvenioCancelado,
    ConvenioFirmado,
    ConvenioModificado,
    ObjetivoAvanzado,
    ObjetivoCumplido,
    ObjetivoRevertido,
)
from esquemas.distintivos import (
    DistintivoEvaluado,
    DistintivoOtorgado,
    DistintivoRenovado,
    DistintivoRevocado,
    DistintivoVencido,
    ListaEstadoPublicada,
    RequisitoEvaluado,
)
from esquemas.ingreso import ReporteDistintivoRevocado
from plataforma.contexto import Contexto
from plataforma.rechazos import Rechazo
from servicios.distintivos import dominio
from servicios.distintivos.emision import Motor, medianoche
from servicios.distintivos.reglas import Reglas, Situacion, evaluar
from servicios.distintivos.repositorio import (
    Anterior,
    ConvenioVisto,
    Distintivo,
    Evaluacion,
    ListaPublicada,
    ObjetivoFila,
    RepositorioDistintivos,
    SesionFila,
    necesita,
)


def seguir_convenio(ctx: Contexto, convenio: ConvenioFirmado, motor: Motor) -> None:
    repo: RepositorioDistintivos = ctx.repo
    if repo.convenio(convenio.convenio_id) is not None:
        return
    repo.guardar(ConvenioVisto(convenio.convenio_id, convenio.programa, convenio.otorgante, convenio.institucion.id,
                               convenio.institucion.nombre, convenio.vigencia.inicio, convenio.vigencia.fin))
    for o in convenio.objetivos:
        repo.guardar(ObjetivoFila(convenio.convenio_id, o.objetivo_id, o.descripcion, o.indicador.value, o.meta))
    completar_avances(repo, convenio.convenio_id, motor)  # sesiones que llegaron antes que el convenio
    reevaluar(ctx, convenio.convenio_id, motor)


def cambiar_objetivos(ctx: Contexto, cambio: ConvenioModificado, motor: Motor) -> None:
    """Los cumplidos que siguen se quedan; lo demás vuelve a empezar (convenios publica su nuevo avance)."""
    repo: RepositorioDistintivos = ctx.repo
    if repo.convenio(cambio.convenio_id) is None:
        return
    nuevos = {o.objetivo_id for o in cambio.objetivos}
    for o in repo.objetivos(cambio.convenio_id):
        if o.cumplido_en is None or o.objetivo_id not in nuevos:
            repo.quitar_objetivo(cambio.convenio_id, o.objetivo_id)
    quedan = {o.objetivo_id for o in repo.objetivos(cambio.convenio_id)}
    for o in cambio.objetivos:
        if o.objetivo_id not in quedan:
            repo.guardar(ObjetivoFila(cambio.convenio_id, o.objetivo_id, o.descripcion, o.indicador.value, o.meta))
    reevaluar(ctx, cambio.convenio_id, motor)


def anotar_avance(ctx: Contexto, avance: ObjetivoAvanzado, motor: Motor) -> None:
    """El evaluador sigue el valor de cada objetivo aun después de cumplido: la credencial dice el del otorgamiento.

    Sin evaluar otra vez: lo que deciden las reglas (cada requisito cumplido o no, el otorgamiento) depende de si
    un objetivo se cumplió (`objetivo.cumplido`, `objetivo.revertido`) y de las sesiones, no de su valor; el valor
    sólo se lee en el detalle de la próxima evaluación que cambie algo, y en la credencial."""
    if (objetivo := _objetivo(ctx.repo, avance.convenio_id, avance.objetivo_id)) is not None:
        ctx.repo.guardar(replace(objetivo, valor=avance.valor))


def anotar_objetivo_cumplido(ctx: Contexto, cumplido: ObjetivoCumplido, motor: Motor) -> None:
    _convenio(ctx.repo, cumplido.convenio_id)
    if (objetivo := _objetivo(ctx.repo, cumplido.convenio_id, cumplido.objetivo_id)) is not None:
        ctx.repo.guardar(replace(objetivo, valor=cumplido.valor, cumplido_en=cumplido.fecha))
    reevaluar(ctx, cumplido.convenio_id, motor)


def anotar_objetivo_revertido(ctx: Contexto, revertido: ObjetivoRevertido, motor: Motor) -> None:
    """Según las reglas del programa, un objetivo que deja de cumplirse revoca el distintivo vigente."""
    repo: RepositorioDistintivos = ctx.repo
    convenio = _convenio(repo, revertido.convenio_id)
    if (objetivo := _objetivo(repo, revertido.convenio_id, revertido.objetivo_id)) is not None:
        repo.guardar(replace(objetivo, valor=revertido.valor, cumplido_en=None))
    reglas = motor.reglas(convenio.programa)
    if reglas and reglas.revocar_si_objetivo_revertido:
        revocar_del_convenio(ctx, convenio, motor, f"El objetivo '{revertido.objetivo_id}' dejó de cumplirse "
                             f"({revertido.valor:g} de {revertido.meta:g}): {revertido.motivo}")
    reevaluar(ctx, revertido.convenio_id, motor)


def anotar_sesion(ctx: Contexto, sesion: SesionCompletada, motor: Motor) -> None:
    nueva = SesionFila(sesion.convenio_id, sesion.sesion_id, sesion.tema, sesion.modalidad.value, sesion.fecha,
                       sesion.horas, list(dict.fromkeys(sesion.asistentes)))
    _cambiar_sesion(ctx, sesion.convenio_id, sesion.sesion_id, nueva, motor)


def quitar_sesion(ctx: Contexto, sesion: SesionCancelada, motor: Motor) -> None:
    _cambiar_sesion(ctx, sesion.convenio_id, sesion.sesion_id, None, motor)


def _cambiar_sesion(ctx: Contexto, convenio_id: str, sesion_id: str, nueva: SesionFila | None, motor: Motor) -> None:
    repo: RepositorioDistintivos = ctx.repo
    previa = repo.sesion(convenio_id, sesion_id)
    if nueva is not None:
        repo.guardar(nueva)
    elif previa is not None:
        repo.quitar_sesion(convenio_id, sesion_id)
    convenio = repo.convenio(convenio_id)
    if convenio is None or (reglas := motor.reglas(convenio.programa)) is None:
        return  # si el convenio llega después, cuenta sus sesiones al llegar
    if not (filtros := reglas.filtros()):
        # Las reglas del programa no cuentan sesiones (las de ALVA): una sesión no cambia lo que deciden. Queda
        # guardada: si una versión nueva de las reglas las cuenta, `completar_avances` las cuenta desde aquí.
        return
    avances, personas = repo.avances(convenio_id), repo.asistencias(convenio_id)
    dominio.cambio_de_sesion(filtros, convenio.vigencia, previa.vista() if previa else None,
                             nueva.vista() if nueva else None, avances, personas)
    repo.guardar_avances(convenio_id, avances)
    repo.guardar_asistencias(convenio_id, personas)
    reevaluar(ctx, convenio_id, motor)


def cerrar_convenio(ctx: Contexto, cancelado: ConvenioCancelado, motor: Motor) -> None:
    """Un convenio cancelado revoca su distintivo; uno vencido no (su distintivo vence a su propio tiempo)."""
    repo: RepositorioDistintivos = ctx.repo
    if (convenio := repo.convenio(cancelado.convenio_id)) is None:
        return
    repo.guardar(replace(convenio, estado="vencido" if cancelado.por_vencimiento else "cancelado"))
    if not cancelado.por_vencimiento:
        revocar_del_convenio(ctx, convenio, motor, f"Convenio cancelado: {cancelado.motivo}")


def revocar_por_operador(ctx: Contexto, reporte: ReporteDistintivoRevocado, motor: Motor) -> None:
    distintivo = ctx.repo.distintivo(reporte.distintivo_id)
    if distintivo is None:
        raise Rechazo("distintivo_desconocido", f"No hay distintivo {reporte.distintivo_id}.", "data.distintivo_id")
    if distintivo.otorgante != ctx.causa.institucion:
        raise Rechazo("otorgante_no_autorizado", f"Sólo '{distintivo.otorgante}' revoca este distintivo.",
                      "institucion")
    if distintivo.estado == "revocado":
        return
    if distintivo.estado != "vigente":
        raise Rechazo("distintivo_no_vigente", f"El distintivo {reporte.distintivo_id} está {distintivo.estado}.",
                      "data.distintivo_id")
    _revocar(ctx, distintivo, motor, reporte.motivo)


async def vencer_distintivos(ctx: Contexto, ajustes=None) -> None:
    """Tarea por tiempo: el día después de su vigencia, el distintivo vence sin que nadie lo diga."""
    for d in await ctx.repo.vencer(ctx.hoy):
        ctx.emitir(DistintivoVencido(distintivo_id=d.distintivo_id, convenio_id=d.convenio_id,
                                     institucion=d.institucion, fecha=d.vigencia_fin),
                   institucion=d.institucion, subject=d.distintivo_id)


async def reevaluar_todo(ctx: Contexto, motor: Motor, lote: int = 200) -> None:
    """Registra las versiones de reglas (las bloqueadas no pueden cambiar) y evalúa con la más nueva todo
    convenio vigente aún sin distintivo, con lo ya visto: una versión nueva se aplica sin reenviar nada."""
    repo: RepositorioDistintivos = ctx.repo
    await registrar_reglas(ctx, motor)
    pendientes = await repo.convenios_por_evaluar()
    for inicio in range(0, len(pendientes), lote):
        parte = pendientes[inicio:inicio + lote]
        necesidades: dict = {}
        for convenio_id in parte:
            for tabla, llaves in necesita(convenio_id, todo=True).items():
                necesidades.setdefault(tabla, set()).update(llaves)
        await repo.cargar(necesidades)
        for convenio_id in parte:
            completar_avances(repo, convenio_id, motor)
            reevaluar(ctx, convenio_id, motor)


async def registrar_reglas(ctx: Contexto, motor: Motor) -> None:
    for versiones in motor.programas.values():
        await ctx.repo.sincronizar_reglas(versiones)


def completar_avances(repo: RepositorioDistintivos, convenio_id: str, motor: Motor) -> None:
    """Los filtros de las reglas vigentes que aún no tienen cuenta se cuentan desde las sesiones guardadas (al
    llegar el convenio, o cuando una versión nueva de las reglas pide algo nuevo)."""
    convenio = repo.convenio(convenio_id)
    reglas = motor.reglas(convenio.programa) if convenio else None
    if reglas is None:
        return
    avances = repo.avances(convenio_id)
    faltan = {f: filtro for f, filtro in reglas.filtros().items() if f not in avances}
    if not faltan:
        return
    personas = repo.asistencias(convenio_id)
    for sesion in repo.sesiones(convenio_id):
        dominio.cambio_de_sesion(faltan, convenio.vigencia, None, sesion.vista(), avances, personas)
    for f in faltan:
        avances.setdefault(f, dominio.Avance())
    repo.guardar_avances(convenio_id, avances)
    repo.guardar_asistencias(convenio_id, personas)


def reevaluar(ctx: Contexto, convenio_id: str, motor: Motor) -> None:
    """Evalúa con la versión más nueva de las reglas; publica el avance si cambió y otorga si corresponde."""
    repo: RepositorioDistintivos = ctx.repo
    convenio = repo.convenio(convenio_id)
    reglas = motor.reglas(convenio.programa)
    if reglas is None:
        return
    situacion = Situacion(convenio.vigencia, [o.visto() for o in repo.objetivos(convenio_id)], repo.avances(convenio_id))
    elegible, requisitos = evaluar(reglas, situacion)
    cumplidos = [r.nombre for r in requisitos if r.cumplido]
    faltantes = [r.nombre for r in requisitos if not r.cumplido]
    previa = repo.evaluacion(convenio_id)
    if previa is None or (previa.cumplidos, previa.faltantes) != (cumplidos, faltantes):
        repo.guardar(Evaluacion(convenio_id, cumplidos, faltantes))
        ctx.emitir(DistintivoEvaluado(
            convenio_id=convenio_id, programa=convenio.programa, institucion=convenio.institucion,
            cumplidos=cumplidos, faltantes=faltantes, elegible=elegible, reglas_version=reglas.version,
            requisitos=[RequisitoEvaluado(nombre=r.nombre, cumplido=r.cumplido, detalle=r.detalle) for r in requisitos],
        ), institucion=convenio.institucion, subject=convenio_id)
    if elegible and convenio.estado == "vigente" and convenio.distintivo_id is None:
        otorgar(ctx, convenio, reglas, motor, [f"{r.nombre}: {r.detalle}" for r in requisitos])


def otorgar(ctx: Contexto, convenio: ConvenioVisto, reglas: Reglas, motor: Motor, criterios: list[str]) -> None:
    """Uno por convenio y periodo: el id se deriva de ambos, y la llave única decide si dos instancias chocan."""
    repo: RepositorioDistintivos = ctx.repo
    periodo = dominio.periodo(convenio.vigencia_inicio, convenio.vigencia_fin)
    distintivo_id = dominio.id_distintivo(convenio.programa, convenio.convenio_id, periodo)
    fecha = ctx.hoy
    inicio, fin = dominio.vigencia(fecha, reglas.vigencia_meses, convenio.vigencia_fin)
    anteriores = repo.anteriores(convenio.institucion)
    anterior = anteriores.get(convenio.programa)
    programa = repo.programa(convenio.programa)
    credencial, jwt = motor.credencial(
        reglas, distintivo_id=distintivo_id, institucion_id=convenio.institucion,
        institucion_nombre=convenio.institucion_nombre, criterios=criterios,
        evidencia=[{"nombre": "Convenio", "descripcion": f"Convenio {convenio.convenio_id}, periodo {periodo}"}],
        desde=inicio, hasta=fin, indice=programa.siguiente_indice)
    repo.guardar(Distintivo(distintivo_id, convenio.programa, convenio.convenio_id, periodo, convenio.institucion, fecha,
                            inicio, fin, "vigente", reglas.version, anterior, None, programa.siguiente_indice, jwt,
                            convenio.otorgante))
    repo.guardar(replace(convenio, distintivo_id=distintivo_id))
    repo.guardar(replace(programa, siguiente_indice=programa.siguiente_indice + 1))
    repo.guardar(Anterior(convenio.institucion, {**anteriores, convenio.programa: distintivo_id}))
    repo.usar_reglas(reglas)
    emitir = _emisor(ctx, convenio.institucion, distintivo_id)
    emitir(DistintivoOtorgado(
        distintivo_id=distintivo_id, programa=convenio.programa, otorgante=convenio.otorgante,
        institucion=convenio.institucion, institucion_nombre=convenio.institucion_nombre,
        convenio_id=convenio.convenio_id, periodo=periodo, fecha=fecha, vigencia=Vigencia(inicio=inicio, fin=fin),
        criterios=criterios, credencial=credencial, credencial_jwt=jwt, reglas_version=reglas.version,
        anterior_id=anterior))
    ctx.contar("distintivos_otorgados", programa=convenio.programa)
    if anterior:
        emitir(DistintivoRenovado(distintivo_id=distintivo_id, anterior_id=anterior, convenio_id=convenio.convenio_id,
                                  institucion=convenio.institucion, vigencia=Vigencia(inicio=inicio, fin=fin)))
    publicar_lista(ctx, reglas, motor)


def revocar_del_convenio(ctx: Contexto, convenio: ConvenioVisto, motor: Motor, motivo: str) -> None:
    if convenio.distintivo_id and (d := ctx.repo.distintivo(convenio.distintivo_id)) and d.estado == "vigente":
        _revocar(ctx, d, motor, motivo)


def _revocar(ctx: Contexto, distintivo: Distintivo, motor: Motor, motivo: str) -> None:
    repo: RepositorioDistintivos = ctx.repo
    repo.guardar(replace(distintivo, estado="revocado", motivo=motivo))
    programa = repo.programa(distintivo.programa)
    repo.guardar(replace(programa, revocados=sorted({*programa.revocados, distintivo.indice_estado})))
    _emisor(ctx, distintivo.institucion, distintivo.distintivo_id)(DistintivoRevocado(
        distintivo_id=distintivo.distintivo_id, convenio_id=distintivo.convenio_id,
        institucion=distintivo.institucion, motivo=motivo))
    if (reglas := motor.reglas(distintivo.programa)) is not None:
        publicar_lista(ctx, reglas, motor)


def publicar_lista(ctx: Contexto, reglas: Reglas, motor: Motor) -> None:
    """La lista de estado firmada, de nuevo, con cada otorgamiento y cada revocación."""
    revocados, url = ctx.repo.programa(reglas.programa).revocados, motor.url_lista(reglas)
    firmada = motor.lista(reglas, revocados, medianoche(ctx.hoy))
    ctx.repo.guardar(ListaPublicada(reglas.programa, reglas.otorgante, url, firmada))
    ctx.emitir(ListaEstadoPublicada(programa=reglas.programa, otorgante=reglas.otorgante, url=url,
                                    credencial_jwt=firmada, revocados=len(revocados)),
               institucion=reglas.otorgante, subject=url)


def _convenio(repo: RepositorioDistintivos, convenio_id: str) -> ConvenioVisto:
    if convenio := repo.convenio(convenio_id):
        return convenio
    raise Rechazo("convenio_desconocido", f"El evaluador no conoce el convenio {convenio_id}.", "data.convenio_id")


def _objetivo(repo: RepositorioDistintivos, convenio_id: str, objetivo_id: str) -> ObjetivoFila | None:
    if repo.convenio(convenio_id) is None:
        return None
    return next((o for o in repo.objetivos(convenio_id) if o.objetivo_id == objetivo_id), None)


def _emisor(ctx: Contexto, institucion: str, subject: str):
    return lambda datos: ctx.emitir(datos, institucion=institucion, subject=subject)


# Al reconstruir: lo publicado manda. Qué evento completó los requisitos puede depender de cómo se intercalaron las
# particiones al leerlas, y con él la fecha y las cifras de la credencial: se adopta el distintivo tal como se firmó
# y salió (aunque la clave haya rotado desde entonces), y la lista de estado, la última que se publicó. La posición
# en la lista de estado se adopta al final (`adoptar_indices`): cambiarla aquí chocaría con la de otro aún sin
# aprender.
def aprender_otorgado(ctx: Contexto, otorgado: DistintivoOtorgado) -> None:
    repo: RepositorioDistintivos = ctx.repo
    if (d := repo.distintivo(otorgado.distintivo_id)) is None or not otorgado.credencial_jwt:
        return
    repo.guardar(replace(d, fecha=otorgado.fecha, vigencia_inicio=otorgado.vigencia.inicio,
                         vigencia_fin=otorgado.vigencia.fin, reglas_version=otorgado.reglas_version or d.reglas_version,
                         anterior_id=otorgado.anterior_id, credencial=otorgado.credencial_jwt))


def aprender_lista(ctx: Contexto, lista: ListaEstadoPublicada) -> None:
    ctx.repo.guardar(ListaPublicada(lista.programa, lista.otorgante, lista.url, lista.credencial_jwt))
