"""`alva servicios`: los cuatro servicios y la consola en marcha bajo un supervisor aparte (arrancar, estado, detener,
bitácora)."""

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from alva.cli.comun import Json, Salida, consola, en_json, errores, json_a_pantalla, salir
from alva.consola.config import AjustesConsola
from alva.consola.usuarios import CREAR_PRIMERA
from alva.supervision import control
from alva.supervision.procesos import CONSOLA, SUPERVISADOS
from alva.supervision.registro import Rutas, cola, leer_json
from alva.supervision.sonda import Fila, consultar, supervisor_vivo
from infra import entorno as infra

servicios = typer.Typer(no_args_is_help=True, help=(
    "Los cuatro servicios y la consola web en marcha bajo un supervisor (make up, make down).\n\n"
    "Un supervisor aparte los arranca, reinicia al que se cae (1 s, luego el doble hasta 60 s) y anota su estado en "
    "<datos>/servicios/estado.json; cada uno escribe en <datos>/bitacoras/<nombre>.log."))

Nombres = Annotated[list[str] | None, typer.Argument(
    help=f"Cuáles: {', '.join(SUPERVISADOS)}; sin nombres, todos.", show_default=False)]


def _validos(nombres: list[str] | None) -> list[str]:
    if desconocidos := sorted(set(nombres or []) - set(SUPERVISADOS)):
        salir(Salida.INVALIDO, f"[red]✘ No son servicios de ALVA:[/] {', '.join(desconocidos)}. "
                               f"Los servicios son {', '.join(SUPERVISADOS)}.")
    return [s for s in SUPERVISADOS if s in (nombres or SUPERVISADOS)]


def _relativa(ruta: str) -> str:
    try:
        return str(Path(ruta).relative_to(Path.cwd()))
    except ValueError:
        return ruta


def _listo(f: Fila) -> str:
    if not f.listo:
        return f"[red]✘[/] {escape(f.motivo or f.situacion)}"
    return "[green]✔[/]" if f.situacion != "sin supervisor" else "[yellow]✔ sin supervisor[/]"


def _tabla(filas: list[Fila]) -> Table:
    tabla = Table("servicio", "pid", "puerto", "listo", "reinicios", "bitácora", box=None)
    for f in filas:
        tabla.add_row(f.servicio, str(f.pid or "—"), str(f.puerto), _listo(f), str(f.reinicios), _relativa(f.bitacora))
    return tabla


def _decir_consola(filas: list[Fila]) -> None:
    """Dónde abrir la consola y, si aún no tiene cuentas, cómo se crea la primera."""
    if (fila := next((f for f in filas if f.servicio == CONSOLA), None)) is None:
        return
    consola.print(f"consola   {fila.url}", markup=False, highlight=False)
    if AjustesConsola().sin_cuentas():
        consola.print(f"Aún no hay cuentas en la consola: `{CREAR_PRIMERA}` crea la primera.", markup=False,
                      highlight=False)


def _anotado() -> dict:
    return leer_json(Rutas.actuales().estado) or {}


def _mostrar(estado: dict, filas: list[Fila], como_json: bool, error: str | None = None) -> None:
    if como_json:
        supervisor = {**estado.get("supervisor", {}), "vivo": supervisor_vivo(estado) is not None}
        json_a_pantalla({"supervisor": supervisor, "servicios": [f.como_dict() for f in filas],
                         "listos": all(f.listo for f in filas), **({"error": error} if error else {})})
        return
    consola.print(_tabla(filas))
    if error:
        errores.print(f"[red]✘[/] {escape(error)}")


@servicios.command("arrancar")
def arrancar(nombres: Nombres = None,
             plazo: Annotated[float, typer.Option(help="Segundos para que todos estén listos.")] = 120.0,
             como_json: Json = False) -> None:
    """Arranca los servicios y la consola bajo un supervisor y espera a que estén listos.

    Antes arranca Kafka, PostgreSQL y SMTP embebidos si el entorno no nombra otros; luego espera a que cada uno
    responda /salud/listo. Si ya corren, sólo dice cómo están. Al final, dónde abrir la consola."""
    en_json(como_json)
    pedidos = _validos(nombres)
    pantalla = errores if como_json else consola  # con --json, stdout lleva sólo el JSON
    try:
        control.preparar_infraestructura(salida=lambda linea: pantalla.print(linea, markup=False))
        ya, filas = control.arrancar(pedidos, plazo_s=plazo)
    except infra.ErrorEntorno as e:
        salir(Salida.SIN_CONEXION, f"[red]✘ No se pudo arrancar la infraestructura:[/] {escape(str(e))}")
    except control.NoListos as e:
        _mostrar(_anotado(), e.filas, como_json, str(e))
        raise typer.Exit(Salida.SIN_RESPUESTA) from None
    except control.ErrorServicios as e:
        salir(Salida.RECHAZADO, f"[red]✘[/] {escape(str(e))}")
    _mostrar(_anotado(), filas, como_json)
    if not como_json:
        _decir_consola(filas)
        que = "ya estaban en marcha" if ya else "en marcha y listos"
        consola.print(f"[green]✔[/] {', '.join(pedidos)}: {que}. `alva servicios bitacora <servicio>` muestra su "
                      "bitácora; `alva servicios detener` (o `make down`) los detiene.")


@servicios.command("estado")
def estado(nombres: Nombres = None, como_json: Json = False) -> None:
    """Cada servicio y la consola: pid, puerto, si está listo, reinicios y bitácora.

    Pregunta /salud/listo a cada uno. Código 1 si alguno no está listo o si murió el supervisor."""
    en_json(como_json)
    anotado, filas = consultar(Rutas.actuales(), _validos(nombres))
    _mostrar(anotado, filas, como_json)
    if not como_json:
        _decir_consola(filas)
        if pid := supervisor_vivo(anotado):
            consola.print(f"supervisor pid {pid}, desde {anotado['supervisor']['desde']}")
        elif any(f.situacion == "sin supervisor" for f in filas):
            consola.print("[yellow]El supervisor murió[/] y nadie reiniciará a estos servicios si se caen: "
                          "`alva servicios arrancar` los detiene y arranca de nuevo bajo uno nuevo.")
        else:
            consola.print("Sin supervisor: `alva servicios arrancar` (o `make up`) arranca los servicios.")
    supervisados = all(f.listo and f.situacion != "sin supervisor" for f in filas)
    raise typer.Exit(Salida.BIEN if supervisados else Salida.RECHAZADO)


@servicios.command("detener")
def detener(nombres: Nombres = None, como_json: Json = False) -> None:
    """Detiene los servicios en orden y, si no queda ninguno, al supervisor.

    SIGTERM (el relay termina su lote) y SIGKILL a los 30 s. Kafka, PostgreSQL y SMTP siguen (`make stop`)."""
    en_json(como_json)
    pedidos = _validos(nombres)
    try:
        anotados = control.detener(pedidos if nombres else None)
    except control.ErrorServicios as e:
        salir(Salida.SIN_RESPUESTA, f"[red]✘[/] {escape(str(e))}")
    if como_json:
        json_a_pantalla({"detenidos": {n: {"ultimo_codigo": s.get("ultimo_codigo")} for n, s in anotados.items()}})
        return
    if not anotados:
        consola.print("No había servicios en marcha.")
    for nombre, s in anotados.items():
        reinicios = f", {s['reinicios']} reinicio(s) mientras corría" if s.get("reinicios") else ""
        consola.print(f"[green]✔[/] {nombre} detenido (código de salida {s.get('ultimo_codigo')}{reinicios})")


@servicios.command("bitacora")
def bitacora(nombre: Annotated[str, typer.Argument(help=f"{', '.join(SUPERVISADOS)} o supervisor.")],
             lineas: Annotated[int, typer.Option("--lineas", "-n", help="Cuántas líneas del final.")] = 40,
             seguir: Annotated[bool, typer.Option("--seguir", "-f", help="Seguir mostrando lo nuevo (Ctrl-C).")] = False
             ) -> None:
    """El final de la bitácora de un servicio, de la consola o del supervisor."""
    if nombre not in (*SUPERVISADOS, "supervisor"):
        salir(Salida.INVALIDO, f"[red]✘ '{nombre}' no tiene bitácora:[/] elija {', '.join(SUPERVISADOS)} o "
                               "supervisor.")
    ruta = Rutas.actuales().bitacora(nombre)
    if not ruta.exists():
        salir(Salida.RECHAZADO, f"[red]✘ Aún no hay bitácora de {nombre}[/] ({ruta}); `alva servicios arrancar` "
                                "la crea.")
    consola.print(cola(ruta, lineas), markup=False, highlight=False)
    if seguir:
        _seguir(ruta)


def _seguir(ruta: Path) -> None:
    with open(ruta, "rb") as archivo:
        archivo.seek(0, 2)
        try:
            while True:
                if nuevo := archivo.read():
                    consola.print(nuevo.decode(errors="replace"), end="", markup=False, highlight=False)
                else:
                    time.sleep(0.5)
        except KeyboardInterrupt:
            return
