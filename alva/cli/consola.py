"""Las cuentas de la consola web: agregar, quitar y listar (en <datos>/consola/usuarios.json, 0600, con argon2)."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from alva.cli.comun import Json, Salida, consola as pantalla, errores, json_a_pantalla, salir

consola = typer.Typer(help="La consola web (python -m alva.consola) y sus cuentas.", no_args_is_help=True)
usuario = typer.Typer(help="Agregar o quitar una cuenta de la consola.", no_args_is_help=True)
consola.add_typer(usuario, name="usuario")


def _cuentas():
    from alva.consola.config import AjustesConsola
    from alva.consola.usuarios import Cuentas

    ajustes = AjustesConsola()
    if ajustes.usuarios_consola:
        errores.print("[yellow]Aviso:[/] ALVA_USUARIOS_CONSOLA está definida: la consola usa esas cuentas y no el "
                      f"archivo {ajustes.archivo_usuarios}.")
    return Cuentas(ajustes.archivo_usuarios)


def _clave(clave_archivo: Path | None) -> str:
    if clave_archivo is not None:
        try:
            return clave_archivo.read_text("utf-8").rstrip("\r\n")
        except OSError as e:
            salir(Salida.INVALIDO, f"[red]✘ No se pudo leer {clave_archivo}:[/] {e.strerror}")
    return typer.prompt("Clave", hide_input=True, confirmation_prompt="Repita la clave")


@usuario.command("agregar")
def agregar(
    nombre: Annotated[str, typer.Argument(metavar="USUARIO", help="Con qué entra: minúsculas, números, . _ @ -")],
    rol: Annotated[str, typer.Option(help="operador (ve y opera todo) o institucion (sólo la suya).")],
    institucion: Annotated[str | None, typer.Option(help="El id de su institución (con --rol institucion).")] = None,
    clave_archivo: Annotated[Path | None, typer.Option(help="Lee la clave de este archivo en vez de preguntarla.")] = None,
    reemplazar: Annotated[bool, typer.Option(help="Si ya existe, cambia su rol y su clave.")] = False,
) -> None:
    """Agrega una cuenta; la clave (12 caracteres o más) se guarda sólo como hash argon2."""
    from alva.consola.usuarios import UsuarioInvalido, nuevo

    cuentas = _cuentas()
    todas = dict(cuentas.todas())
    if nombre in todas and not reemplazar:
        salir(Salida.INVALIDO, f"[red]✘ Ya existe la cuenta {nombre}[/] (use --reemplazar para cambiarla).")
    try:
        todas[nombre] = nuevo(nombre, rol, _clave(clave_archivo), institucion)
    except UsuarioInvalido as e:
        salir(Salida.INVALIDO, f"[red]✘ {e}[/]")
    cuentas.guardar(todas)
    donde = f" de {institucion}" if institucion else ""
    pantalla.print(f"[green]✔[/] {nombre} ({rol}{donde}) en {cuentas.archivo}")


@usuario.command("quitar")
def quitar(nombre: Annotated[str, typer.Argument(metavar="USUARIO")]) -> None:
    """Quita una cuenta: su sesión abierta deja de valer en la siguiente página que pida."""
    cuentas = _cuentas()
    todas = dict(cuentas.todas())
    if todas.pop(nombre, None) is None:
        salir(Salida.RECHAZADO, f"[red]✘ No existe la cuenta {nombre}.[/]")
    cuentas.guardar(todas)
    pantalla.print(f"[green]✔[/] {nombre} ya no puede entrar")


@consola.command("usuarios")
def usuarios(como_json: Json = False) -> None:
    """Las cuentas: usuario, rol e institución (nunca las claves)."""
    filas = [u.publico() for u in sorted(_cuentas().todas().values(), key=lambda u: u.usuario)]
    if como_json:
        json_a_pantalla(filas)
        return
    tabla = Table("usuario", "rol", "institución", box=None)
    for f in filas:
        tabla.add_row(f["usuario"], f["rol"], f["institucion"] or "")
    pantalla.print(tabla if filas else "Ninguna cuenta todavía: `alva consola usuario agregar <usuario> --rol operador`.")
