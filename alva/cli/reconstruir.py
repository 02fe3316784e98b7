"""`alva reconstruir <servicio>`: vuelve a llenar lo que un servicio sabe desde los tópicos, sin publicar nada."""

import importlib
from typing import Annotated

import typer
from rich.table import Table

from alva.cli.comun import Json, Salida, consola, correr, errores, json_a_pantalla, kafka, salir
from plataforma.reconstruccion import ServicioEnMarcha, reconstruir as reconstruir_servicio

SERVICIOS = ("convenios", "capacitacion", "distintivos", "notificaciones")


def reconstruir(servicio: Annotated[str, typer.Argument(help="convenios, capacitacion, distintivos o notificaciones.")],
                como_json: Json = False) -> None:
    """Reconstruye lo que sabe un servicio desde los tópicos, sin publicar nada, y compara tabla por tabla.

    Aparta su esquema (queda como <servicio>_respaldo), lo llena de nuevo repitiendo sus entradas hasta donde las
    había procesado, en el orden del broker, y compara. Lo que aún debía salir (outbox, entregas) se conserva. El
    servicio debe estar detenido (alva servicios detener <servicio>).

    Sale con 0 si las tablas quedaron iguales, 1 si alguna difiere (la tabla dice cuál)."""
    if servicio not in SERVICIOS:
        salir(Salida.INVALIDO, f"[red]✘ '{servicio}' no es un servicio:[/] {', '.join(SERVICIOS)}")
    app = importlib.import_module(f"servicios.{servicio}.app").crear_servicio()
    try:
        informe = correr(reconstruir_servicio(app, kafka(), avisar=lambda t: errores.print(f"[dim]{t}[/]")))
    except ServicioEnMarcha as e:
        salir(Salida.RECHAZADO, f"[red]✘ {e}[/]")
    if como_json:
        json_a_pantalla({"servicio": servicio, "eventos": informe.eventos, "segundos": round(informe.segundos, 2),
                         "respaldo": informe.respaldo, "iguales": informe.iguales,
                         "tablas": {t: {"antes": a, "ahora": b, "diferentes": d}
                                    for t, (a, b, d) in informe.tablas.items()}})
    else:
        tabla = Table("tabla", "antes", "ahora", "diferentes", box=None)
        for t, (a, b, d) in informe.tablas.items():
            tabla.add_row(t, str(a), str(b), f"[red]{d}[/]" if d else "[green]0[/]")
        consola.print(tabla)
        consola.print(f"{servicio}: {informe.eventos} entradas repetidas en {informe.segundos:.1f} s; el anterior quedó "
                      f"en el esquema {informe.respaldo}. " + ("[green]Tablas iguales.[/]" if informe.iguales else
                                                               "[yellow]Hay diferencias.[/]"))
    raise typer.Exit(int(Salida.BIEN if informe.iguales else Salida.RECHAZADO))
