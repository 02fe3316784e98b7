"""Lo que hace el evaluador: seguir convenios y objetivos, y otorgar cuando todo se cumple, una sola vez."""

from esquemas.comun import Vigencia
from esquemas.convenios import ConvenioFirmado, ObjetivoCumplido
from esquemas.distintivos import DistintivoEvaluado, DistintivoOtorgado
from plataforma.consumo import Contexto
from plataforma.rechazos import Rechazo
from servicios.distintivos import dominio
from servicios.distintivos.repositorio import PostgresDistintivos


async def seguir_convenio(ctx: Contexto, convenio: ConvenioFirmado, programas: dict) -> None:
    """Un convenio nuevo empieza a evaluarse: publica qué le falta."""
    repo = PostgresDistintivos(ctx.conn)
    if await repo.conocer_convenio(convenio):
        await evaluar(ctx, repo, convenio.convenio_id, programas)


async def anotar_objetivo_cumplido(ctx: Contexto, cumplido: ObjetivoCumplido, programas: dict) -> None:
    """Un objetivo cumplido puede completar el convenio."""
    repo = PostgresDistintivos(ctx.conn)
    if await repo.convenio(cumplido.convenio_id) is None:
        raise Rechazo("convenio_desconocido", f"El evaluador no conoce el convenio {cumplido.convenio_id}.",
                      "data.convenio_id")
    await repo.marcar_cumplido(cumplido.convenio_id, cumplido.objetivo_id, cumplido.valor, cumplido.fecha)
    await evaluar(ctx, repo, cumplido.convenio_id, programas)


async def evaluar(ctx: Contexto, repo: PostgresDistintivos, convenio_id: str, programas: dict) -> None:
    convenio = await repo.convenio(convenio_id)
    objetivos = await repo.objetivos(convenio_id)
    evaluacion = dominio.evaluar(objetivos)
    if await repo.cambiar_evaluacion(convenio_id, evaluacion):
        ctx.emitir(DistintivoEvaluado(
            convenio_id=convenio_id, programa=convenio["programa"], institucion=convenio["institucion"],
            cumplidos=list(evaluacion.cumplidos), faltantes=list(evaluacion.faltantes),
            elegible=evaluacion.elegible,
        ), institucion=convenio["institucion"], subject=convenio_id)
    if evaluacion.elegible and convenio["estado"] == "vigente":
        await otorgar(ctx, repo, convenio, objetivos, programas)


async def otorgar(ctx: Contexto, repo: PostgresDistintivos, convenio, objetivos, programas: dict) -> None:
    reglas = programas.get(convenio["programa"], dominio.ReglasPrograma())
    fecha = max(o.cumplido_en for o in objetivos)
    periodo = dominio.periodo(convenio["vigencia_inicio"], convenio["vigencia_fin"])
    distintivo_id = dominio.id_distintivo(convenio["programa"], convenio["convenio_id"], periodo)
    inicio, fin = dominio.vigencia(fecha, reglas, convenio["vigencia_fin"])
    if not await repo.registrar_distintivo(distintivo_id, convenio["programa"], convenio["convenio_id"], periodo,
                                           convenio["institucion"], fecha, inicio, fin):
        return
    ctx.emitir(DistintivoOtorgado(
        distintivo_id=distintivo_id, programa=convenio["programa"], otorgante=convenio["otorgante"],
        institucion=convenio["institucion"], institucion_nombre=convenio["institucion_nombre"],
        convenio_id=convenio["convenio_id"], periodo=periodo, fecha=fecha, vigencia=Vigencia(inicio=inicio, fin=fin),
        criterios=[dominio.criterio(o) for o in objetivos],
    ), institucion=convenio["institucion"], subject=distintivo_id)
