"""`alva claves`: las claves con que cada otorgante firma sus distintivos; rotar es agregar una."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from alva.cli.comun import Json, Salida, consola, json_a_pantalla, salir

claves = typer.Typer(help="Las claves de firma de los otorgantes: listar y rotar.", no_args_is_help=True)

Carpeta = Annotated[Path | None, typer.Option(
    "--carpeta", help="Dónde están (ALVA_CARPETA_CLAVES; por omisión <ALVA_DATOS>/claves).")]


def _carpeta(carpeta: Path | None) -> Path:
    if carpeta is not None:
        return carpeta
    from servicios.distintivos.config import AjustesDistintivos

    return AjustesDistintivos().carpeta_claves


def _otorgantes(carpeta: Path) -> list[str]:
    if not carpeta.is_dir():
        return []
    nombres = {p.stem for p in carpeta.glob("*.pem") if not p.name.endswith(".pub.pem")}
    return sorted(nombres | {p.name for p in carpeta.iterdir() if p.is_dir()})


def _descripcion(carpeta: Path, otorgante: str) -> list[dict]:
    from servicios.distintivos.claves import archivos_de, cargar_clave_privada, kid

    archivos = archivos_de(carpeta, otorgante)
    salida = []
    for n, archivo in enumerate(archivos):
        creada = datetime.fromtimestamp(archivo.stat().st_mtime, UTC)
        salida.append({"otorgante": otorgante, "kid": kid(cargar_clave_privada(archivo.read_bytes())),
                       "archivo": str(archivo), "creada": creada.isoformat(timespec="seconds"),
                       "firma": n == len(archivos) - 1})
    return salida


@claves.command("listar")
def listar(otorgante: Annotated[str | None, typer.Argument(help="Sólo este otorgante.")] = None,
           carpeta: Carpeta = None, como_json: Json = False) -> None:
    """Cada clave: su `kid` (el que va en la cabecera de cada credencial), su archivo y cuál firma ahora (la más
    nueva). Todas se publican en el JWKS del otorgante, así que lo firmado con una anterior se sigue verificando."""
    lugar = _carpeta(carpeta)
    filas = [f for o in ([otorgante] if otorgante else _otorgantes(lugar)) for f in _descripcion(lugar, o)]
    if como_json:
        json_a_pantalla(filas)
        return
    if not filas:
        consola.print(f"[yellow]No hay claves en {lugar}.[/] distintivos crea la de cada otorgante al arrancar "
                      "(ALVA_CREAR_CLAVES), o póngala ahí: <otorgante>.pem o <otorgante>/*.pem (Ed25519, PEM).")
        return
    tabla = Table("otorgante", "kid", "creada", "firma", "archivo", box=None)
    for f in filas:
        tabla.add_row(f["otorgante"], f["kid"], f["creada"], "[green]✔[/]" if f["firma"] else "", f["archivo"])
    consola.print(tabla)


@claves.command("rotar")
def rotar(otorgante: Annotated[str, typer.Argument(help="El otorgante, p. ej. prodheg.")],
          carpeta: Carpeta = None, como_json: Json = False) -> None:
    """Agrega una clave nueva (0600) al otorgante: al arrancar de nuevo, distintivos firma con ella y publica las
    dos; las credenciales ya emitidas siguen verificándose con la anterior. No borra nada."""
    from plataforma.permisos import exigir_id
    from servicios.distintivos.claves import crear_clave

    try:
        exigir_id(otorgante)
    except ValueError as e:
        salir(Salida.INVALIDO, f"[red]✘ {e}[/]")
    lugar = _carpeta(carpeta)
    try:
        ruta = crear_clave(lugar, otorgante)
    except OSError as e:
        salir(Salida.INVALIDO, f"[red]✘ No se pudo escribir en {lugar}: {e.strerror or e}[/]")
    nueva = _descripcion(lugar, otorgante)[-1]
    if como_json:
        json_a_pantalla({**nueva, "claves": len(_descripcion(lugar, otorgante))})
        return
    consola.print(f"[green]✔[/] Clave nueva de {otorgante}: kid {nueva['kid']} en {ruta}.\n"
                  "Reinicie distintivos para firmar con ella (alva servicios detener distintivos; alva servicios "
                  "arrancar); las anteriores siguen publicadas en su JWKS.")
