"""Lo que hace el servicio de convenios: registrar convenios y contar el avance de sus objetivos."""

from dataclasses import replace

from esquemas.capacitacion import SesionCompletada
from esquemas.convenios import ConvenioFirmado, ObjetivoAvanzado, ObjetivoCumplido
from esquemas.ingreso import ReporteConvenioFirmado
from plataforma.consumo import Contexto
from plataforma.rechazos import Rechazo
from servicios.convenios.dominio import Sesion, unidades_de_sesion
from servicios.convenios.repositorio import PostgresConvenios


async def registrar_convenio(ctx: Contexto, reporte: ReporteConvenioFirmado, otorgantes: dict[str, str]) -> None:
    """El otorgante del programa registra un convenio; el mismo reporte dos veces registra uno."""
    otorgante = otorgantes.get(reporte.programa)
    if otorgante is None:
        raise Rechazo("programa_desconocido", f"El programa '{reporte.programa}' no existe en ALVA.", "data.programa")
    if reporte.otorgante != otorgante or ctx.causa.institucion != otorgante:
        raise Rechazo("otorgante_no_autorizado",
                      f"Sólo '{otorgante}' registra convenios del programa {reporte.programa}.", "data.otorgante")
    repo = PostgresConvenios(ctx.conn)
    contenido = reporte.model_dump(mode="json")
    previo = await repo.contenido(reporte.convenio_id)
    if previo is not None:
        if previo == contenido:
            return
        raise Rechazo("convenio_duplicado",
                      f"El convenio {reporte.convenio_id} ya está registrado con otro contenido; "
                      "para cambiarlo envíe una modificación.", "data.convenio_id")
    await repo.guardar(contenido)
    ctx.emitir(ConvenioFirmado(**reporte.model_dump()), institucion=reporte.institucion.id, subject=reporte.convenio_id)


async def contar_sesion(ctx: Contexto, sesion: SesionCompletada) -> None:
    """Una sesión completada avanza los objetivos que mide; cada objetivo se cumple una sola vez."""
    repo = PostgresConvenios(ctx.conn)
    vista = Sesion(sesion.sesion_id, sesion.tema, sesion.modalidad.value, sesion.fecha, sesion.horas,
                   tuple(sesion.asistentes))
    objetivos = await repo.objetivos(sesion.convenio_id)
    if not objetivos:
        raise Rechazo("convenio_desconocido", f"El convenio {sesion.convenio_id} no está registrado.", "data.convenio_id")
    for objetivo in objetivos:
        unidades = unidades_de_sesion(objetivo, vista)
        if not unidades:
            continue
        valor = await repo.sumar_unidades(sesion.convenio_id, objetivo.objetivo_id, f"sesion:{sesion.sesion_id}", unidades)
        if valor == objetivo.valor:
            continue
        recien_cumplido = objetivo.alcanza(valor) and not objetivo.cumplido
        await repo.actualizar_objetivo(sesion.convenio_id, replace(objetivo, valor=valor),
                                       sesion.fecha if recien_cumplido else None)
        comun = dict(convenio_id=sesion.convenio_id, objetivo_id=objetivo.objetivo_id,
                     indicador=objetivo.indicador, valor=valor, meta=objetivo.meta)
        ctx.emitir(ObjetivoAvanzado(**comun), institucion=sesion.institucion, subject=sesion.convenio_id)
        if recien_cumplido:
            ctx.emitir(ObjetivoCumplido(**comun, fecha=sesion.fecha), institucion=sesion.institucion,
                       subject=sesion.convenio_id)
