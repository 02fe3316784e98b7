"""Quién puede reportar qué sobre un convenio: las comprobaciones comunes a los casos de uso."""

from datetime import date

from plataforma.contexto import Contexto
from plataforma.rechazos import Aplazar, Rechazo
from servicios.comun import problema_de_admision
from servicios.convenios.repositorio import Convenio, RepositorioConvenios


def convenio_registrado(repo: RepositorioConvenios, convenio_id: str) -> Convenio:
    convenio = repo.convenio(convenio_id)
    if convenio is None:
        raise Rechazo("convenio_desconocido", f"El convenio {convenio_id} no está registrado en ALVA.",
                      "data.convenio_id")
    return convenio


def convenio_para_reportar(ctx: Contexto, convenio_id: str, fecha: date | None = None) -> Convenio:
    """La institución reporta sobre su propio convenio vigente; si aún no llega, su reporte espera."""
    convenio = ctx.repo.convenio(convenio_id)
    if convenio is None:
        raise Aplazar(f"convenio:{convenio_id}", "convenio_desconocido",
                      f"El convenio {convenio_id} no está registrado en ALVA; verifique el id con el otorgante.")
    if problema := problema_de_admision(convenio_id, convenio.institucion, convenio.estado, convenio.vigencia_inicio,
                                        convenio.vigencia_fin, ctx.causa.institucion, fecha):
        raise Rechazo(*problema)
    return convenio


def convenio_del_otorgante(ctx: Contexto, convenio_id: str) -> Convenio:
    """Sólo el otorgante del convenio lo modifica, lo cancela o revisa su evidencia."""
    convenio = convenio_registrado(ctx.repo, convenio_id)
    if convenio.otorgante != ctx.causa.institucion:
        raise Rechazo("otorgante_no_autorizado",
                      f"Sólo '{convenio.otorgante}', otorgante del convenio {convenio_id}, puede hacer esto.",
                      "institucion")
    if convenio.estado != "vigente":
        raise Rechazo("convenio_no_vigente", f"El convenio {convenio_id} está {convenio.estado}.", "data.convenio_id")
    return convenio
