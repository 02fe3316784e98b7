"""Quién puede reportar qué sobre un convenio: las comprobaciones comunes a los casos de uso."""

from datetime import date

from plataforma.consumo import Contexto
from plataforma.rechazos import Aplazar, Rechazo
from servicios.convenios.repositorio import PostgresConvenios


async def convenio_registrado(repo: PostgresConvenios, convenio_id: str):
    convenio = await repo.convenio(convenio_id)
    if convenio is None:
        raise Rechazo("convenio_desconocido", f"El convenio {convenio_id} no está registrado en ALVA.",
                      "data.convenio_id")
    return convenio


async def convenio_para_reportar(ctx: Contexto, repo: PostgresConvenios, convenio_id: str, fecha: date | None = None):
    """La institución reporta sobre su propio convenio vigente; si aún no llega, su reporte espera."""
    convenio = await repo.convenio(convenio_id)
    if convenio is None:
        raise Aplazar(f"convenio:{convenio_id}", "convenio_desconocido",
                      f"El convenio {convenio_id} no está registrado en ALVA; verifique el id con el otorgante.")
    if convenio["institucion"] != ctx.causa.institucion:
        raise Rechazo("convenio_ajeno", f"El convenio {convenio_id} no es de '{ctx.causa.institucion}'.",
                      "data.convenio_id")
    _vigente(convenio)
    if fecha is not None and not convenio["vigencia_inicio"] <= fecha <= convenio["vigencia_fin"]:
        raise Rechazo("fecha_fuera_de_vigencia", f"La fecha {fecha} cae fuera de la vigencia del convenio "
                      f"({convenio['vigencia_inicio']} a {convenio['vigencia_fin']}).", "data.fecha")
    return convenio


async def convenio_del_otorgante(ctx: Contexto, repo: PostgresConvenios, convenio_id: str):
    """Sólo el otorgante del convenio lo modifica, lo cancela o revisa su evidencia."""
    convenio = await convenio_registrado(repo, convenio_id)
    if convenio["otorgante"] != ctx.causa.institucion:
        raise Rechazo("otorgante_no_autorizado",
                      f"Sólo '{convenio['otorgante']}', otorgante del convenio {convenio_id}, puede hacer esto.",
                      "institucion")
    _vigente(convenio)
    return convenio


def _vigente(convenio) -> None:
    if convenio["estado"] != "vigente":
        raise Rechazo("convenio_no_vigente", f"El convenio {convenio['convenio_id']} está {convenio['estado']}.",
                      "data.convenio_id")
