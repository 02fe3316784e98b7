"""El evaluador: sigue convenios, objetivos y sesiones, y decide solo cuándo otorgar, revocar o dejar vencer."""

from datetime import date

from esquemas.capacitacion import SesionCancelada, SesionCompletada
from esquemas.comun import Vigencia
from esquemas.convenios import ConvenioCancelado, ConvenioFirmado, ConvenioModificado, ObjetivoCumplido, ObjetivoRevertido
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
from plataforma.consumo import Contexto
from plataforma.rechazos import Rechazo
from servicios.distintivos import dominio
from servicios.distintivos.emision import Motor, medianoche
from servicios.distintivos.reglas import Situacion, evaluar
from servicios.distintivos.repositorio import PostgresDistintivos


async def seguir_convenio(ctx: Contexto, convenio: ConvenioFirmado, motor: Motor) -> None:
    repo = PostgresDistintivos(ctx.conn)
    if await repo.conocer_convenio(convenio):
        await reevaluar(ctx, repo, convenio.convenio_id, motor)


async def cambiar_objetivos(ctx: Contexto, cambio: ConvenioModificado, motor: Motor) -> None:
    repo = PostgresDistintivos(ctx.conn)
    if await repo.convenio(cambio.convenio_id):
        await repo.reemplazar_objetivos(cambio.convenio_id, cambio.objetivos)
        await reevaluar(ctx, repo, cambio.convenio_id, motor)


async def anotar_objetivo_cumplido(ctx: Contexto, cumplido: ObjetivoCumplido, motor: Motor) -> None:
    repo = PostgresDistintivos(ctx.conn)
    await _convenio(repo, cumplido.convenio_id)
    await repo.marcar_objetivo(cumplido.convenio_id, cumplido.objetivo_id, cumplido.valor, cumplido.fecha)
    await reevaluar(ctx, repo, cumplido.convenio_id, motor)


async def anotar_objetivo_revertido(ctx: Contexto, revertido: ObjetivoRevertido, motor: Motor) -> None:
    """Según las reglas del programa, un objetivo que deja de cumplirse revoca el distintivo vigente."""
    repo = PostgresDistintivos(ctx.conn)
    convenio = await _convenio(repo, revertido.convenio_id)
    await repo.marcar_objetivo(revertido.convenio_id, revertido.objetivo_id, revertido.valor, None)
    reglas = motor.reglas(convenio["programa"])
    if reglas and reglas.revocar_si_objetivo_revertido:
        await revocar_del_convenio(ctx, repo, convenio, motor, f"El objetivo '{revertido.objetivo_id}' dejó de "
                                   f"cumplirse ({revertido.valor:g} de {revertido.meta:g}): {revertido.motivo}")
    await reevaluar(ctx, repo, revertido.convenio_id, motor)


async def anotar_sesion(ctx: Contexto, sesion: SesionCompletada, motor: Motor) -> None:
    repo = PostgresDistintivos(ctx.conn)
    await repo.guardar_sesion(sesion)
    if await repo.convenio(sesion.convenio_id):
        await reevaluar(ctx, repo, sesion.convenio_id, motor)


async def quitar_sesion(ctx: Contexto, sesion: SesionCancelada, motor: Motor) -> None:
    repo = PostgresDistintivos(ctx.conn)
    await repo.borrar_sesion(sesion.convenio_id, sesion.sesion_id)
    if await repo.convenio(sesion.convenio_id):
        await reevaluar(ctx, repo, sesion.convenio_id, motor)


async def cerrar_convenio(ctx: Contexto, cancelado: ConvenioCancelado, motor: Motor) -> None:
    """Un convenio cancelado revoca su distintivo; uno vencido no (su distintivo vence a su propio tiempo)."""
    repo = PostgresDistintivos(ctx.conn)
    if not (convenio := await repo.convenio(cancelado.convenio_id)):
        return
    await repo.cambiar_estado_convenio(cancelado.convenio_id, "vencido" if cancelado.por_vencimiento else "cancelado")
    if not cancelado.por_vencimiento:
        await revocar_del_convenio(ctx, repo, convenio, motor, f"Convenio cancelado: {cancelado.motivo}")


async def revocar_por_operador(ctx: Contexto, reporte: ReporteDistintivoRevocado, motor: Motor) -> None:
    repo = PostgresDistintivos(ctx.conn)
    distintivo = await repo.distintivo(reporte.distintivo_id)
    if distintivo is None:
        raise Rechazo("distintivo_desconocido", f"No hay distintivo {reporte.distintivo_id}.", "data.distintivo_id")
    if distintivo["otorgante"] != ctx.causa.institucion:
        raise Rechazo("otorgante_no_autorizado", f"Sólo '{distintivo['otorgante']}' revoca este distintivo.",
                      "institucion")
    if distintivo["estado"] == "revocado":
        return
    if distintivo["estado"] != "vigente":
        raise Rechazo("distintivo_no_vigente", f"El distintivo {reporte.distintivo_id} está {distintivo['estado']}.",
                      "data.distintivo_id")
    await _revocar(ctx, repo, distintivo, motor, reporte.motivo)


async def vencer_distintivos(ctx: Contexto, ajustes=None, hoy: date | None = None) -> None:
    """Tarea por tiempo: el día después de su vigencia, el distintivo vence sin que nadie lo diga."""
    for d in await PostgresDistintivos(ctx.conn).vencer(hoy or date.today()):
        ctx.emitir(DistintivoVencido(distintivo_id=d["distintivo_id"], convenio_id=d["convenio_id"],
                                     institucion=d["institucion"], fecha=d["vigencia_fin"]),
                   institucion=d["institucion"], subject=d["distintivo_id"])


async def reevaluar_todo(ctx: Contexto, motor: Motor) -> None:
    """Registra las versiones de reglas (las bloqueadas no pueden cambiar) y evalúa con la más nueva todo
    convenio vigente aún sin distintivo, con lo ya visto: una versión nueva se aplica sin reenviar nada."""
    repo = PostgresDistintivos(ctx.conn)
    for versiones in motor.programas.values():
        await repo.sincronizar_reglas(versiones)
    for convenio_id in await repo.convenios_por_evaluar():
        await reevaluar(ctx, repo, convenio_id, motor)


async def reevaluar(ctx: Contexto, repo: PostgresDistintivos, convenio_id: str, motor: Motor) -> None:
    """Evalúa con la versión más nueva de las reglas; publica el avance si cambió y otorga si corresponde."""
    convenio = await repo.convenio(convenio_id)
    reglas = motor.reglas(convenio["programa"])
    if reglas is None:
        return
    objetivos = await repo.objetivos(convenio_id)
    situacion = Situacion((convenio["vigencia_inicio"], convenio["vigencia_fin"]), objetivos,
                          await repo.sesiones(convenio_id))
    elegible, requisitos = evaluar(reglas, situacion)
    cumplidos = [r.nombre for r in requisitos if r.cumplido]
    faltantes = [r.nombre for r in requisitos if not r.cumplido]
    if await repo.cambiar_evaluacion(convenio_id, cumplidos, faltantes):
        ctx.emitir(DistintivoEvaluado(
            convenio_id=convenio_id, programa=convenio["programa"], institucion=convenio["institucion"],
            cumplidos=cumplidos, faltantes=faltantes, elegible=elegible, reglas_version=reglas.version,
            requisitos=[RequisitoEvaluado(nombre=r.nombre, cumplido=r.cumplido, detalle=r.detalle) for r in requisitos],
        ), institucion=convenio["institucion"], subject=convenio_id)
    if elegible and convenio["estado"] == "vigente":
        await otorgar(ctx, repo, convenio, reglas, motor, [f"{r.nombre}: {r.detalle}" for r in requisitos])


async def otorgar(ctx: Contexto, repo: PostgresDistintivos, convenio, reglas, motor: Motor, criterios: list[str]):
    """Uno por convenio y periodo: la llave única decide, aunque dos instancias lo intenten a la vez."""
    periodo = dominio.periodo(convenio["vigencia_inicio"], convenio["vigencia_fin"])
    distintivo_id = dominio.id_distintivo(convenio["programa"], convenio["convenio_id"], periodo)
    if await repo.distintivo(distintivo_id):
        return
    fecha = ctx.causa.time.date() if ctx.causa else date.today()
    inicio, fin = dominio.vigencia(fecha, reglas.vigencia_meses, convenio["vigencia_fin"])
    anterior = await repo.anterior(convenio["institucion"], convenio["programa"], convenio["convenio_id"])
    indice = await repo.siguiente_indice()
    credencial, jwt = motor.credencial(
        reglas, distintivo_id=distintivo_id, institucion_id=convenio["institucion"],
        institucion_nombre=convenio["institucion_nombre"], criterios=criterios,
        evidencia=[{"nombre": "Convenio", "descripcion": f"Convenio {convenio['convenio_id']}, periodo {periodo}"}],
        desde=inicio, hasta=fin, indice=indice)
    if not await repo.registrar_distintivo(
            distintivo_id=distintivo_id, programa=convenio["programa"], convenio_id=convenio["convenio_id"],
            periodo=periodo, institucion=convenio["institucion"], fecha=fecha, vigencia_inicio=inicio,
            vigencia_fin=fin, reglas_version=reglas.version, anterior_id=anterior and anterior["distintivo_id"],
            indice_estado=indice, credencial=jwt, otorgante=convenio["otorgante"]):
        return
    await repo.bloquear_reglas(reglas)
    emitir = _emisor(ctx, convenio["institucion"], distintivo_id)
    emitir(DistintivoOtorgado(
        distintivo_id=distintivo_id, programa=convenio["programa"], otorgante=convenio["otorgante"],
        institucion=convenio["institucion"], institucion_nombre=convenio["institucion_nombre"],
        convenio_id=convenio["convenio_id"], periodo=periodo, fecha=fecha, vigencia=Vigencia(inicio=inicio, fin=fin),
        criterios=criterios, credencial=credencial, credencial_jwt=jwt, reglas_version=reglas.version,
        anterior_id=anterior and anterior["distintivo_id"]))
    ctx.contar("distintivos_otorgados", programa=convenio["programa"])
    if anterior:
        emitir(DistintivoRenovado(distintivo_id=distintivo_id, anterior_id=anterior["distintivo_id"],
                                  convenio_id=convenio["convenio_id"], institucion=convenio["institucion"],
                                  vigencia=Vigencia(inicio=inicio, fin=fin)))
    await publicar_lista(ctx, repo, reglas, motor, fecha)


async def revocar_del_convenio(ctx: Contexto, repo: PostgresDistintivos, convenio, motor: Motor, motivo: str) -> None:
    for distintivo in await repo.vigentes_del_convenio(convenio["convenio_id"]):
        await _revocar(ctx, repo, distintivo, motor, motivo)


async def _revocar(ctx: Contexto, repo: PostgresDistintivos, distintivo, motor: Motor, motivo: str) -> None:
    await repo.revocar(distintivo["distintivo_id"], motivo)
    _emisor(ctx, distintivo["institucion"], distintivo["distintivo_id"])(DistintivoRevocado(
        distintivo_id=distintivo["distintivo_id"], convenio_id=distintivo["convenio_id"],
        institucion=distintivo["institucion"], motivo=motivo))
    reglas = motor.reglas(distintivo["programa"])
    await publicar_lista(ctx, repo, reglas, motor, ctx.causa.time.date() if ctx.causa else date.today())


async def publicar_lista(ctx: Contexto, repo: PostgresDistintivos, reglas, motor: Motor, dia: date) -> None:
    """La lista de estado firmada, de nuevo, con cada otorgamiento y cada revocación."""
    revocados = await repo.indices_revocados(reglas.programa)
    ctx.emitir(ListaEstadoPublicada(programa=reglas.programa, otorgante=reglas.otorgante, url=reglas.lista_estado_url,
                                    credencial_jwt=motor.lista(reglas, revocados, medianoche(dia)),
                                    revocados=len(revocados)),
               institucion=reglas.otorgante, subject=reglas.lista_estado_url)


async def _convenio(repo: PostgresDistintivos, convenio_id: str):
    if convenio := await repo.convenio(convenio_id):
        return convenio
    raise Rechazo("convenio_desconocido", f"El evaluador no conoce el convenio {convenio_id}.", "data.convenio_id")


def _emisor(ctx: Contexto, institucion: str, subject: str):
    return lambda datos: ctx.emitir(datos, institucion=institucion, subject=subject)
