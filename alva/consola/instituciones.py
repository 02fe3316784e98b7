"""Lo de una institución (convenios, avance, rechazos, distintivos): quien opera ve todas; ella, sólo la suya."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from alva.consola import consultas
from alva.consola.pagina import pagina
from alva.consola.seguridad import de_la_institucion
from plataforma.permisos import PATRON_ID

router = APIRouter(prefix="/instituciones")
DIAS_RECHAZOS = 30


def _exigir(request: Request, institucion: str):
    usuario = de_la_institucion(request, institucion)  # antes que nada: ni la forma del id se revela a otra
    if not PATRON_ID.fullmatch(institucion):
        raise HTTPException(404, "No existe esa institución.")
    return usuario


@router.get("/{institucion}")
async def institucion(request: Request, institucion: str):
    usuario = _exigir(request, institucion)
    async with request.app.state.pool.acquire() as conn:
        datos = await consultas.institucion(conn, institucion)
    rechazos = (await request.app.state.rechazos.de(DIAS_RECHAZOS, institucion))[:50]
    if not (datos["convenios"] or datos["distintivos"] or rechazos) and usuario.opera:
        topicos = request.app.state.difusor.topicos
        if f"alva.ingreso.{institucion}" not in topicos:
            raise HTTPException(404, "ALVA no sabe nada de esa institución (ni convenios, ni rechazos, ni alta).")
    return pagina(request, "institucion.html", i=datos, rechazos=rechazos, dias_rechazos=DIAS_RECHAZOS)


@router.get("/{institucion}/distintivos/{distintivo_id}.jwt")
async def credencial(request: Request, institucion: str, distintivo_id: str):
    _exigir(request, institucion)
    async with request.app.state.pool.acquire() as conn:
        fila = await consultas.distintivo(conn, distintivo_id)
    if fila is None or fila["institucion"] != institucion:
        raise HTTPException(404, "No existe ese distintivo en esta institución.")
    return Response(fila["credencial"], media_type="application/vc+jwt", headers={
        "Content-Disposition": f'attachment; filename="distintivo-{distintivo_id}.jwt"', "Cache-Control": "no-store"})
