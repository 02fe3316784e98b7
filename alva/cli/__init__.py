"""`alva`: la herramienta de las instituciones y de quien opera. `alva --help` para empezar."""

import typer

from alva.cli import (claves, consola, credenciales, dlq, emitir, estado, grupos, observar, outbox, reconstruir,
                      servicios, verificar)

app = typer.Typer(
    name="alva", no_args_is_help=True, rich_markup_mode="rich",
    help="Emitir reportes, seguir los tópicos, ver el estado de una institución y reparar. Lee "
         "KAFKA_BOOTSTRAP_SERVERS, ALVA_KAFKA_* y ALVA_POSTGRES_DSN (por omisión, lo embebido de `make infra`, con el "
         "usuario de cada institución o el de quien opera). "
         "Códigos de salida: 0 bien, 1 rechazado, 2 entrada inválida, 3 sin respuesta, 4 sin conexión.")
app.command()(emitir.emitir)
app.command()(emitir.esquemas)
app.command()(credenciales.alta)
app.add_typer(credenciales.credenciales, name="credenciales")
app.add_typer(emitir.evidencia, name="evidencia")
app.add_typer(emitir.distintivo, name="distintivo")
app.command()(observar.observar)
app.command()(observar.rechazos)
app.add_typer(dlq.dlq, name="dlq")
app.add_typer(outbox.outbox, name="outbox")
app.add_typer(claves.claves, name="claves")
app.command()(grupos.grupos)
app.command()(estado.estado)
app.command()(estado.entregas)
app.command()(reconstruir.reconstruir)
app.command()(verificar.verificar)
app.add_typer(consola.consola, name="consola")
app.add_typer(servicios.servicios, name="servicios")


def main() -> None:
    app()
