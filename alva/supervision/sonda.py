"""Lo que se ve desde fuera de los procesos supervisados: su estado anotado y su `/salud/listo`, en filas."""

import asyncio
from dataclasses import asdict, dataclass

import httpx

from alva.consola.config import AjustesConsola
from alva.supervision import procesos
from alva.supervision.procesos import CONSOLA, SUPERVISADOS, modulo
from alva.supervision.registro import MARCA_SUPERVISOR, Rutas, leer_json, vive

PLAZO_SONDA_S = 5.0  # /salud/listo revisa PostgreSQL y Kafka con 2 s cada uno


@dataclass
class Fila:
    servicio: str
    pid: int | None
    puerto: int
    situacion: str
    listo: bool
    motivo: str | None
    reinicios: int
    ultimo_codigo: int | None
    desde: str | None
    bitacora: str
    url: str | None = None  # la de la consola, para abrirla

    def como_dict(self) -> dict:
        return asdict(self)


async def _listo(cliente: httpx.AsyncClient, base: str) -> tuple[bool, str | None]:
    try:
        respuesta = await cliente.get(f"{base}/salud/listo")
    except httpx.HTTPError as e:
        return False, f"no responde en {base.removeprefix('http://')} ({type(e).__name__})"
    if respuesta.status_code == 200:
        return True, None
    try:
        revisiones = respuesta.json().get("revisiones", {})
        return False, "; ".join(r["motivo"] for r in revisiones.values() if not r.get("ok")) or "no listo"
    except ValueError:
        return False, f"HTTP {respuesta.status_code}"


async def _sondear(bases: dict[str, str]) -> dict[str, tuple[bool, str | None]]:
    async with httpx.AsyncClient(timeout=PLAZO_SONDA_S, trust_env=False) as cliente:
        resultados = await asyncio.gather(*(_listo(cliente, b) for b in bases.values()))
    return dict(zip(bases, resultados, strict=True))


def supervisor_vivo(estado: dict | None) -> int | None:
    """El pid del supervisor si sigue vivo y no dejó anotado que terminó."""
    supervisor = (estado or {}).get("supervisor", {})
    if supervisor.get("terminado"):
        return None
    return supervisor.get("pid") if vive(supervisor.get("pid"), MARCA_SUPERVISOR) else None


def consultar(rutas: Rutas, nombres: list[str] | None = None) -> tuple[dict, list[Fila]]:
    """El estado anotado y una fila por proceso; a los que corren se les pregunta `/salud/listo`."""
    ajustes = AjustesConsola()
    estado = leer_json(rutas.estado) or {}
    anotados, supervisado = estado.get("servicios", {}), supervisor_vivo(estado) is not None
    puertos = procesos.puertos(ajustes)
    filas = [_fila(n, anotados.get(n), puertos[n], rutas, supervisado) for n in nombres or SUPERVISADOS]
    bases = {f.servicio: procesos.url(f.servicio, f.puerto, ajustes) for f in filas}
    corriendo = {f.servicio: bases[f.servicio] for f in filas if vive(f.pid, modulo(f.servicio))}
    for fila in filas:
        fila.motivo = None if fila.servicio in corriendo else fila.situacion
        fila.url = f"{bases[fila.servicio]}/" if fila.servicio == CONSOLA else None
    for nombre, (listo, motivo) in asyncio.run(_sondear(corriendo)).items():
        fila = next(f for f in filas if f.servicio == nombre)
        fila.listo, fila.motivo = listo, motivo
    return estado, filas


def _fila(nombre: str, anotado: dict | None, puerto: int, rutas: Rutas, supervisado: bool) -> Fila:
    a = anotado or {}
    fila = Fila(nombre, a.get("pid"), a.get("puerto", puerto), a.get("situacion", "detenido"), False, None,
                a.get("reinicios", 0), a.get("ultimo_codigo"), a.get("desde"),
                a.get("bitacora", str(rutas.bitacora(nombre))))
    if not supervisado:  # lo anotado es de un supervisor que ya no está
        huerfano = vive(fila.pid, modulo(nombre))
        fila.situacion = "sin supervisor" if huerfano else "detenido"
        fila.pid = fila.pid if huerfano else None
    return fila
