"""Para las instituciones (y las acciones de quien opera): emitir reportes validados y esperar su desenlace."""

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated

import typer
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from pydantic import ValidationError
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from alva.cli.comun import (OPERADOR, Json, Salida, consola, correr, en_json, errores, json_a_pantalla, kafka,
                            productor, salir, topicos_alva)
from alva.lineas import tipo_corto
from alva.observador import Observador
from esquemas import CloudEvent
from esquemas.catalogo import TIPOS
from esquemas.exportar import ejemplos_json, escribir, esquemas_json
from esquemas.ingreso import topico_ingreso
from esquemas.respuestas import ReporteRespondido, topico_respuestas
from plataforma.nube import describir_error
from plataforma.nube import CABECERAS_REPORTE


class ReporteInvalido(ValueError):
    def __init__(self, motivo: str, campo: str | None = None) -> None:
        super().__init__(motivo)
        self.motivo, self.campo = motivo, campo


class IngresoInexistente(ReporteInvalido):
    """El tópico de ingreso no existe o quien envía no puede escribir en él: no se envió nada."""


@dataclass
class Desenlace:
    aceptado: bool
    evento: CloudEvent

    def como_dict(self) -> dict:
        return {"aceptado": self.aceptado, "evento": self.evento.model_dump(mode="json", exclude_none=True)}


def reportes() -> list[str]:
    return sorted(n for n, t in TIPOS.items() if t.es_reporte)


def tipo_completo(tipo: str) -> str:
    """`sesion.completada` → `mx.alva.ingreso.sesion.completada.v1`; sólo reportes de ingreso."""
    candidatos = [tipo] if tipo.startswith("mx.alva.") else [f"mx.alva.ingreso.{tipo}.v1"]
    for c in candidatos:
        if c in TIPOS and TIPOS[c].es_reporte:
            return c
    cortos = ", ".join(tipo_corto(r).removeprefix("ingreso.") for r in reportes())
    raise ReporteInvalido(f"'{tipo}' no es un reporte que ALVA reciba. Reportes: {cortos}.", "type")


@cache
def _validador(tipo: str) -> Draft202012Validator:
    return Draft202012Validator(esquemas_json()[f"{tipo}.json"])


def construir(tipo: str, institucion: str, datos: dict, *, id_: str | None = None,
              subject: str | None = None) -> CloudEvent:
    """El reporte validado contra su JSON Schema (el mismo que cualquier sistema puede usar) y su modelo."""
    tipo = tipo_completo(tipo)
    if error := best_match(_validador(tipo).iter_errors(datos)):
        ruta = ["data", *map(str, error.absolute_path)]
        if error.validator == "required" and isinstance(error.instance, dict):
            falta = next(c for c in error.validator_value if c not in error.instance)
            campo = ".".join([*ruta, falta])
            raise ReporteInvalido(f"falta el campo obligatorio {campo}", campo)
        campo = ".".join(ruta)
        raise ReporteInvalido(f"{campo}: {error.message}", campo)
    try:
        TIPOS[tipo].modelo.model_validate(datos)
    except ValidationError as e:
        campo, motivo = describir_error(e, "data")
        raise ReporteInvalido(motivo, campo) from e
    try:
        return CloudEvent(specversion="1.0", id=str(id_ or uuid.uuid4()), source=f"/instituciones/{institucion}/alva-cli",
                          type=tipo, subject=subject, time=datetime.now(UTC), dataschema=TIPOS[tipo].dataschema,
                          data=datos, institucion=institucion)
    except ValidationError as e:
        campo, motivo = describir_error(e, "")
        raise ReporteInvalido(motivo, campo.strip(".") or None) from e


def _valor(texto: str):
    try:
        return json.loads(texto)
    except json.JSONDecodeError:
        return texto


def leer_reportes(archivo: Path | None, tipo: str | None, institucion: str | None,
                  datos: list[str]) -> list[CloudEvent]:
    """De un archivo JSON (datos o un CloudEvent completo), de uno JSON Lines (varios), o de `campo=valor`."""
    crudos: list[dict] = []
    if archivo is not None:
        texto = (typer.get_text_stream("stdin").read() if str(archivo) == "-" else archivo.read_text("utf-8"))
        try:
            crudos = ([json.loads(l) for l in texto.splitlines() if l.strip()]
                      if str(archivo).endswith(".jsonl") else [json.loads(texto)])
        except json.JSONDecodeError as e:
            raise ReporteInvalido(f"{archivo} no es JSON válido: {e}") from e
    if datos:
        extra = {}
        for par in datos:
            if "=" not in par:
                raise ReporteInvalido(f"'{par}' no es campo=valor")
            clave, valor = par.split("=", 1)
            extra[clave] = _valor(valor)
        crudos = [{**c, **extra} for c in crudos] if crudos and "specversion" not in crudos[0] else crudos or [extra]
    if not crudos:
        raise ReporteInvalido("nada que emitir: dé --archivo o campos con --dato campo=valor")
    eventos = []
    for crudo in crudos:
        if not isinstance(crudo, dict):
            raise ReporteInvalido("cada reporte es un objeto JSON")
        if "specversion" in crudo:  # un CloudEvent completo: su tipo, su institución y su id mandan
            eventos.append(construir(crudo.get("type", ""), crudo.get("institucion") or institucion or "",
                                     crudo.get("data") or {}, id_=crudo.get("id"), subject=crudo.get("subject")))
        else:
            if not tipo or not institucion:
                raise ReporteInvalido("falta TIPO o --institucion (o un CloudEvent completo en el archivo)")
            eventos.append(construir(tipo, institucion, crudo))
    return eventos


def principal_de(eventos: list[CloudEvent]) -> str:
    """Quien envía: la institución (su propio usuario de Kafka); varias a la vez, sólo quien opera."""
    instituciones = {e.institucion for e in eventos}
    return f"institucion-{instituciones.pop()}" if len(instituciones) == 1 else OPERADOR


async def emitir_y_esperar(eventos: list[CloudEvent], esperar: bool, plazo_s: float, *, progreso: bool = False,
                           principal: str | None = None, opciones: dict | None = None) -> dict[str, Desenlace | None]:
    """Envía como la institución (o como `principal`, o con las `opciones` de aiokafka dadas) y, con `esperar`,
    lee su desenlace en su propio tópico de respuestas. IngresoInexistente si no hay a dónde enviar."""
    opciones = opciones or kafka(principal or principal_de(eventos))
    visibles = set(await topicos_alva(opciones))
    if faltan := sorted({topico_ingreso(e.institucion) for e in eventos} - visibles):
        raise IngresoInexistente(f"No existe {', '.join(faltan)} (o este usuario no puede escribir en él): la "
                                 "institución no está dada de alta; el otorgante la da de alta con `alva alta "
                                 "<institucion>`. No se envió nada.")
    respuestas = sorted({topico_respuestas(e.institucion) for e in eventos})
    observador = await Observador.abrir(opciones, respuestas) if esperar else None
    try:
        p = await productor(opciones)
        try:
            with Progress(console=errores, transient=True, disable=not progreso) as barra:
                tarea = barra.add_task("emitiendo", total=len(eventos))
                envios = []
                for e in eventos:
                    envios.append(await p.send(topico_ingreso(e.institucion), e.a_json(), key=e.llave,
                                               headers=list(CABECERAS_REPORTE)))
                    barra.advance(tarea)
                for envio in envios:
                    await envio
        finally:
            await p.stop()
        resultados: dict[str, Desenlace | None] = {e.id: None for e in eventos}
        if observador is None:
            return resultados
        limite = time.monotonic() + plazo_s
        while None in resultados.values() and time.monotonic() < limite:
            for _, visto in await observador.recibir(min(0.5, max(0.01, limite - time.monotonic()))):
                rid = visto.data.get("entrada_id")
                if visto.type == ReporteRespondido.tipo and rid in resultados and resultados[rid] is None:
                    resultados[rid] = Desenlace(bool(visto.data["aceptado"]), visto)
        return resultados
    finally:
        if observador is not None:
            await observador.cerrar()


def describir(desenlace: Desenlace) -> str:
    d = desenlace.evento.data
    ya = " [dim](ya se había procesado: el mismo desenlace de entonces)[/]" if d.get("repetido") else ""
    if desenlace.aceptado:
        hechos = ", ".join(tipo_corto(h["type"]) for h in d.get("hechos", [])) or "sin cambios"
        return f"[green]✔ aceptado[/] por {d.get('servicio')}: {hechos}{ya}"
    campo = f" en {d['campo']}" if d.get("campo") else ""
    return f"[red]✘ rechazado[/] por {d.get('servicio')}: [bold]{d['codigo']}[/]{campo}: {escape(d['motivo'])}{ya}"


def emitir(
    tipo: Annotated[str | None, typer.Argument(help="El reporte, p. ej. sesion.completada (o el type completo).")] = None,
    institucion: Annotated[str | None, typer.Option("--institucion", "-i", help="Quién reporta: escribe en "
                                                    "alva.ingreso.<institucion>.")] = None,
    archivo: Annotated[Path | None, typer.Option("--archivo", "-a", help="JSON con los datos o un CloudEvent "
                                                 "completo; .jsonl para varios; - para la entrada estándar.")] = None,
    dato: Annotated[list[str], typer.Option("--dato", "-d", help="campo=valor (el valor en JSON si lo es); "
                                            "se repite.")] = [],  # noqa: B006 - así declara typer las listas
    esperar: Annotated[bool, typer.Option(help="Esperar su desenlace: los hechos que produjo, o su rechazo y "
                                               "por qué (de alva.respuestas.<institucion>).")] = False,
    plazo: Annotated[float, typer.Option(help="Segundos de espera con --esperar.")] = 60.0,
    como_json: Json = False,
) -> None:
    """Valida un reporte contra su JSON Schema y lo envía, como la institución, a su tópico de ingreso.

    Un reporte inválido no sale de esta máquina (código 2, con el campo). Con --esperar: 0 si se aceptó,
    1 si se rechazó, 3 si no hubo respuesta en el plazo (p. ej. espera a su convenio). Un reporte ya procesado
    (mismo id y contenido) responde al momento con el desenlace que tuvo.
    """
    en_json(como_json)
    try:
        eventos = leer_reportes(archivo, tipo, institucion, dato)
    except ReporteInvalido as e:
        if como_json:
            json_a_pantalla({"error": e.motivo, "campo": e.campo, "codigo_salida": int(Salida.INVALIDO)})
        salir(Salida.INVALIDO, f"[red]✘ Reporte inválido, no se envió:[/] {escape(e.motivo)}")
    enviar(eventos, esperar, plazo, como_json)


def enviar(eventos: list[CloudEvent], esperar: bool, plazo: float, como_json: bool, principal: str | None = None) -> None:
    en_json(como_json)
    try:
        resultados = correr(emitir_y_esperar(eventos, esperar, plazo, progreso=len(eventos) > 20, principal=principal))
    except IngresoInexistente as e:
        salir(Salida.INVALIDO, f"[red]✘ {escape(e.motivo)}[/]")
    codigo = Salida.BIEN
    for e in eventos:
        d = resultados[e.id]
        if esperar and d is None:
            codigo = max(codigo, Salida.SIN_RESPUESTA)
        elif d is not None and not d.aceptado:
            codigo = max(codigo, Salida.RECHAZADO)
        if como_json:
            json_a_pantalla({"id": e.id, "type": e.type, "topico": topico_ingreso(e.institucion),
                             "desenlace": d.como_dict() if d else None})
            continue
        consola.print(f"{e.id}  {tipo_corto(e.type)} → {topico_ingreso(e.institucion)}")
        if d is not None:
            consola.print("  " + describir(d))
        elif esperar:
            consola.print(f"  [yellow]… sin desenlace en {plazo:g} s[/]: quizá espera a su convenio (ver "
                          "`alva estado`, `alva grupos`).")
    raise typer.Exit(int(codigo))


def esquemas(
    carpeta: Annotated[Path | None, typer.Option(help="Escribe aquí <type>.json (JSON Schema 2020-12) y "
                                                 "ejemplos/<type>.json.")] = None,
    como_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Los tipos de evento: los reportes que ALVA recibe y los hechos que publica, con su esquema."""
    if carpeta is not None:
        carpeta.mkdir(parents=True, exist_ok=True)
        escribir(carpeta, esquemas_json())
        escribir(carpeta / "ejemplos", ejemplos_json())
    filas = [{"type": n, "topico": t.topico.replace("{institucion}", "<institucion>"),
              "descripcion": (t.modelo.__doc__ or "").strip().splitlines()[0]} for n, t in sorted(TIPOS.items())]
    if como_json:
        json_a_pantalla(filas)
        return
    tabla = Table("type", "tópico", "qué es", box=None)
    for f in filas:
        tabla.add_row(f["type"], f["topico"], f["descripcion"])
    consola.print(tabla)


# Acciones de quien opera: reportes del otorgante, desde su propio tópico de ingreso.
Otorgante = Annotated[str, typer.Option("--otorgante", envvar="ALVA_OTORGANTE",
                                        help="Desde qué tópico de ingreso actúa quien opera.")]
Esperar = Annotated[bool, typer.Option(help="Esperar el desenlace.")]
Json = Annotated[bool, typer.Option("--json", help="Salida JSON para scripts.")]

evidencia = typer.Typer(help="Aprobar o rechazar la evidencia que entregó una institución.", no_args_is_help=True)
distintivo = typer.Typer(help="Acciones sobre un distintivo otorgado.", no_args_is_help=True)


def _actuar(tipo: str, otorgante: str, datos: dict, esperar: bool, como_json: bool) -> None:
    """Una acción de quien opera: un reporte del otorgante, desde su ingreso, con el usuario de quien opera."""
    en_json(como_json)
    try:
        evento = construir(tipo, otorgante, {k: v for k, v in datos.items() if v is not None})
    except ReporteInvalido as e:
        salir(Salida.INVALIDO, f"[red]✘ Acción inválida, no se envió:[/] {e.motivo}")
    enviar([evento], esperar, 60.0, como_json, principal=OPERADOR)


@evidencia.command("aprobar")
def evidencia_aprobar(convenio_id: str, objetivo_id: str, evidencia_id: str, otorgante: Otorgante = "prodheg",
                      esperar: Esperar = True, como_json: Json = False) -> None:
    """La evidencia cumple: el objetivo queda cumplido."""
    _actuar("evidencia.revisada", otorgante, {"convenio_id": convenio_id, "objetivo_id": objetivo_id,
                                              "evidencia_id": evidencia_id, "dictamen": "aprobada"}, esperar, como_json)


@evidencia.command("rechazar")
def evidencia_rechazar(convenio_id: str, objetivo_id: str, evidencia_id: str,
                       motivo: Annotated[str, typer.Option(help="Qué falta; lo recibe la institución.")],
                       otorgante: Otorgante = "prodheg", esperar: Esperar = True, como_json: Json = False) -> None:
    """La evidencia no basta: la institución recibe el motivo y puede enviar otra."""
    _actuar("evidencia.revisada", otorgante, {"convenio_id": convenio_id, "objetivo_id": objetivo_id,
                                              "evidencia_id": evidencia_id, "dictamen": "rechazada",
                                              "motivo": motivo}, esperar, como_json)


@distintivo.command("revocar")
def distintivo_revocar(distintivo_id: str, motivo: Annotated[str, typer.Option(help="Por qué; queda en el "
                                                                                  "evento y en el aviso.")],
                       otorgante: Otorgante = "prodheg", esperar: Esperar = True, como_json: Json = False) -> None:
    """Revoca un distintivo: su credencial queda revocada en la lista de estado."""
    _actuar("distintivo.revocado", otorgante, {"distintivo_id": distintivo_id, "motivo": motivo}, esperar,
            como_json)
