"""Credenciales de las instituciones en Kafka: darlas de alta, rotar su clave y revocarlas (como administrador)."""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from alva.cli.comun import Salida, consola, json_a_pantalla, salir
from plataforma import provision
from plataforma.kafka import ConexionKafka, SinCredenciales, carpeta_principales, conexion_desde_entorno
from plataforma.permisos import PATRON_ID

ADMIN = "alva-admin"

Institucion = Annotated[str, typer.Argument(help="Su id, p. ej. penjamo (minúsculas y guiones).")]
Carpeta = Annotated[Path | None, typer.Option(
    help="Dónde dejar la clave y la configuración de cliente (0600); por omisión <datos>/kafka/principales.")]
Bootstrap = Annotated[str | None, typer.Option(
    "--bootstrap", help="Dirección de Kafka que se escribe en la configuración de la institución "
                        "(por omisión, la del administrador).")]
Json = Annotated[bool, typer.Option("--json", help="Salida JSON para scripts.")]

_QUE_ES = {".properties": "para kcat -F (librdkafka)", ".aiokafka.json": "ajustes de aiokafka"}

credenciales = typer.Typer(help="Rotar o revocar la clave de una institución en Kafka; preparar un Kafka propio.",
                           no_args_is_help=True)


def _id_valido(institucion: str) -> str:
    if not PATRON_ID.fullmatch(institucion):
        salir(Salida.INVALIDO, f"[red]✘ '{institucion}' no es un id válido:[/] minúsculas, números y guiones.")
    return institucion


def _como_admin(accion: Callable[[ConexionKafka], Any]) -> Any:
    """Corre `accion` con la conexión del administrador; sin credenciales o sin Kafka, código 4."""
    try:
        return accion(conexion_desde_entorno(ADMIN))
    except SinCredenciales as e:
        salir(Salida.SIN_CONEXION, f"[red]✘ Sin credenciales de administrador:[/] {e}")
    except provision.InstitucionDesconocida as e:
        salir(Salida.RECHAZADO, f"[red]✘[/] {e}")
    except provision.ErrorProvision as e:
        salir(Salida.SIN_CONEXION, f"[red]✘ Kafka no lo aceptó[/] ({e}). Revise KAFKA_BOOTSTRAP_SERVERS y "
                                   "ALVA_KAFKA_USUARIO/ALVA_KAFKA_CLAVE (un administrador), o arranque lo embebido "
                                   "con `make infra`.")


def _mostrar(c: provision.Credenciales, como_json: bool) -> None:
    if como_json:
        json_a_pantalla({"institucion": c.institucion, "usuario": c.usuario, "estado": c.estado, "clave": c.clave,
                         "topicos": list(c.topicos), "archivos": [str(a) for a in c.archivos]})
        return
    escuchan = "; los servicios escuchan su ingreso en segundos" if c.estado == "creada" else ""
    consola.print(f"[green]✔[/] {c.usuario} {c.estado}: {', '.join(c.topicos)}{escuchan}.")
    if c.clave:
        consola.print(f"  Clave (se muestra sólo esta vez): [bold]{c.clave}[/]")
    for archivo in c.archivos:
        consola.print(f"  {_QUE_ES.get(''.join(archivo.suffixes[-2:]), 'clave')}: {archivo}")
    if c.estado == "ya existe":
        consola.print(f"  Su clave no cambió. Para una nueva: alva credenciales rotar {c.institucion}")


def alta(institucion: Institucion, carpeta: Carpeta = None, bootstrap: Bootstrap = None,
         particiones: Annotated[int, typer.Option(envvar="ALVA_PARTICIONES")] = 3,
         replicacion: Annotated[int, typer.Option(envvar="ALVA_REPLICACION")] = 1, como_json: Json = False) -> None:
    """Da de alta a una institución: sus tópicos, su usuario en Kafka con una clave nueva y sus permisos.

    Crea alva.ingreso.<id> (los servicios lo escuchan en segundos), su DLQ y alva.respuestas.<id>."""
    _id_valido(institucion)
    c = _como_admin(lambda admin: provision.alta_institucion(
        admin, institucion, particiones=particiones, replicacion=replicacion, bootstrap_clientes=bootstrap,
        carpeta_credenciales=carpeta or carpeta_principales()))
    _mostrar(c, como_json)


@credenciales.command("rotar")
def rotar(institucion: Institucion, carpeta: Carpeta = None, bootstrap: Bootstrap = None,
          como_json: Json = False) -> None:
    """Una clave nueva para la institución; la anterior deja de servir en cuanto se reconecte."""
    _id_valido(institucion)
    c = _como_admin(lambda admin: provision.rotar(admin, institucion, bootstrap_clientes=bootstrap,
                                                  carpeta_credenciales=carpeta or carpeta_principales()))
    _mostrar(c, como_json)


@credenciales.command("revocar")
def revocar(institucion: Institucion, carpeta: Carpeta = None, como_json: Json = False) -> None:
    """Borra el usuario de la institución y sus permisos: ya no escribe ni lee nada. Sus tópicos se quedan."""
    _id_valido(institucion)
    r = _como_admin(lambda admin: provision.revocar(admin, institucion,
                                                    carpeta_credenciales=carpeta or carpeta_principales()))
    if como_json:
        json_a_pantalla({"usuario": r.usuario, "usuario_borrado": r.usuario_borrado, "acls_borradas": r.acls_borradas,
                         "archivos_borrados": [str(a) for a in r.archivos_borrados]})
        return
    consola.print(f"[green]✔[/] {r.usuario} revocada: {'usuario borrado, ' if r.usuario_borrado else ''}"
                  f"{r.acls_borradas} permiso(s) retirados; sus tópicos se conservan.")


@credenciales.command("preparar")
def preparar(carpeta: Carpeta = None, bootstrap: Bootstrap = None,
             otorgante: Annotated[list[str], typer.Option(help="Otorgante cuyo ingreso se crea (repetible); por "
                                                          "omisión, los de ALVA_OTORGANTES.")] = [],  # noqa: B006
             particiones: Annotated[int, typer.Option(envvar="ALVA_PARTICIONES")] = 3,
             replicacion: Annotated[int, typer.Option(envvar="ALVA_REPLICACION")] = 1) -> None:
    """Deja lista la plataforma en un Kafka propio: tópicos, usuarios de servicios y operador, ACLs y el alta de
    cada otorgante. Lo que ya existe se respeta; el entorno embebido lo hace solo al arrancar."""
    from infra.kafka import otorgantes

    hecho = _como_admin(lambda admin: provision.preparar(
        admin, otorgantes=otorgante or otorgantes(), particiones=particiones, replicacion=replicacion,
        carpeta_credenciales=carpeta or carpeta_principales(), bootstrap_clientes=bootstrap))
    consola.print(f"[green]✔[/] {hecho or 'nada nuevo: todo estaba'}; claves en {carpeta or carpeta_principales()}")
