"""Las acciones de quien opera, tras confirmar: el mismo reporte del otorgante que envía `alva`, y su desenlace."""

import uuid

from fastapi import APIRouter, Depends, Form, Request

from alva.cli.emitir import OPERADOR, ReporteInvalido, construir, emitir_y_esperar
from alva.consola.pagina import pagina
from alva.consola.seguridad import operador

router = APIRouter(prefix="/operacion", dependencies=[Depends(operador)])
PLAZO_S = 30.0


def _id(reporte_id: str) -> str:
    """El id que la página de confirmación fijó: confirmar dos veces envía el mismo reporte, no dos."""
    try:
        return str(uuid.UUID(reporte_id))
    except ValueError:
        return str(uuid.uuid4())


async def _actuar(request: Request, tipo: str, datos: dict, titulo: str, pregunta: str, volver: str, confirmado: str,
                  reporte_id: str):
    campos = {k: v for k, v in datos.items() if v}
    try:
        # Inválido: ni se pregunta.
        evento = construir(tipo, request.app.state.ajustes.otorgante, campos, id_=_id(reporte_id))
    except ReporteInvalido as e:
        return pagina(request, "resultado.html", estado=400, titulo=titulo, error=e.motivo, volver=volver)
    if confirmado != "si":
        return pagina(request, "confirmar.html", accion=request.url.path, titulo=titulo, pregunta=pregunta,
                      campos={**campos, "volver": volver, "reporte_id": evento.id})
    try:
        resultados = await emitir_y_esperar([evento], True, PLAZO_S, principal=OPERADOR,
                                            opciones=request.app.state.kafka)
    except ReporteInvalido as e:
        return pagina(request, "resultado.html", estado=400, titulo=titulo, error=e.motivo, volver=volver)
    desenlace = resultados[evento.id]
    return pagina(request, "resultado.html", titulo=titulo, evento=evento, plazo=PLAZO_S, volver=volver,
                  desenlace=desenlace.evento.data if desenlace else None)


@router.post("/evidencias/revisar")
async def revisar_evidencia(request: Request, convenio_id: str = Form(), objetivo_id: str = Form(),
                            evidencia_id: str = Form(), dictamen: str = Form(), motivo: str = Form(""),
                            volver: str = Form("/operacion/instituciones"), confirmado: str = Form(""),
                            reporte_id: str = Form("")):
    """Como `alva evidencia aprobar|rechazar`."""
    verbo = "Aprobar" if dictamen == "aprobada" else "Rechazar"
    datos = {"convenio_id": convenio_id, "objetivo_id": objetivo_id, "evidencia_id": evidencia_id,
             "dictamen": dictamen, "motivo": motivo.strip() or None}
    pregunta = (f"¿{verbo} la evidencia {evidencia_id} del objetivo {objetivo_id} (convenio {convenio_id})?"
                + (f" Motivo: «{motivo.strip()}»" if motivo.strip() else ""))
    return await _actuar(request, "evidencia.revisada", datos, f"{verbo} evidencia", pregunta, _local(volver),
                         confirmado, reporte_id)


@router.post("/distintivos/{distintivo_id}/revocar")
async def revocar(request: Request, distintivo_id: str, motivo: str = Form(""),
                  volver: str = Form("/operacion/instituciones"), confirmado: str = Form(""),
                  reporte_id: str = Form("")):
    """Como `alva distintivo revocar`: la credencial queda revocada en la lista de estado."""
    datos = {"distintivo_id": distintivo_id, "motivo": motivo.strip() or None}
    pregunta = f"¿Revocar el distintivo {distintivo_id}? Motivo: «{motivo.strip()}». No se puede deshacer."
    return await _actuar(request, "distintivo.revocado", datos, "Revocar distintivo", pregunta, _local(volver),
                         confirmado, reporte_id)


def _local(ruta: str) -> str:
    return ruta if ruta.startswith("/") and not ruta.startswith("//") else "/operacion/instituciones"
