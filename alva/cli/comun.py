"""Lo que comparten los comandos de `alva`: ajustes, salida (legible o JSON), códigos de salida y Kafka."""

import asyncio
import json
import re
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Annotated, Any

import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAuthorizationFailedError
from rich.console import Console
from rich.text import Text

from alva.observador import particiones_de
from plataforma import registros as _registros  # noqa: F401 - aiokafka lee cualquier registro que Kafka acepte
from plataforma.config import Ajustes
from plataforma.kafka import SinCredenciales

# Fuera de una terminal (tuberías, scripts) las tablas no se parten a 80 columnas.
consola = Console(highlight=False, width=None if sys.stdout.isatty() else 250)
errores = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 250)


class Salida(IntEnum):
    """Códigos de salida, iguales en todos los comandos."""

    BIEN = 0
    RECHAZADO = 1  # el reporte llegó y un servicio lo rechazó; o lo pedido no se cumple (p. ej. retraso)
    INVALIDO = 2  # entrada inválida: no salió nada de esta máquina
    SIN_RESPUESTA = 3  # se envió, pero no hubo respuesta en el plazo
    SIN_CONEXION = 4  # Kafka o PostgreSQL no responden


OPERADOR = "alva-operador"
Json = Annotated[bool, typer.Option("--json", help="Salida JSON para scripts.")]


def ajustes() -> Ajustes:
    return Ajustes()


def kafka(principal: str = OPERADOR) -> dict:
    """kwargs de aiokafka para conectar como `principal` (por omisión, quien opera: lee todo, escribe casi nada);
    ALVA_KAFKA_USUARIO y ALVA_KAFKA_CLAVE, si se dan, mandan. Sin credenciales: mensaje y código 4."""
    try:
        return ajustes().conexion_kafka(principal).aiokafka()
    except SinCredenciales as e:
        salir(Salida.SIN_CONEXION, f"[red]✘ Sin credenciales de Kafka:[/] {e}")


_JSON = {"activo": False}  # el comando pidió --json: también los errores salen como JSON en stdout


def en_json(activo: bool) -> None:
    _JSON["activo"] = activo


def salir(codigo: Salida, mensaje: str | None = None) -> None:
    if mensaje:
        errores.print(mensaje)
        if _JSON["activo"]:
            json_a_pantalla({"error": Text.from_markup(mensaje).plain.lstrip("✘ "), "codigo_salida": int(codigo)})
    raise typer.Exit(int(codigo))


def correr(corrutina: Coroutine) -> Any:
    """Corre la parte asíncrona de un comando; Kafka o PostgreSQL caídos dan un mensaje y el código 4."""
    try:
        return asyncio.run(corrutina)
    except TopicAuthorizationFailedError as e:
        salir(Salida.SIN_CONEXION, f"[red]✘ Kafka no lo permite a este usuario[/] ({e}). Cada institución escribe sólo "
                                   "su ingreso y lee sólo sus respuestas; quien opera lee todo.")
    except (KafkaConnectionError, ConnectionError, OSError) as e:
        salir(Salida.SIN_CONEXION, f"[red]✘ Sin conexión[/] ({type(e).__name__}: {e}). Revise KAFKA_BOOTSTRAP_SERVERS "
                                   f"({ajustes().kafka_bootstrap_servers}), ALVA_KAFKA_* y ALVA_POSTGRES_DSN, o "
                                   "arranque lo embebido con `make infra`.")
    except KafkaError as e:
        salir(Salida.SIN_CONEXION, f"[red]✘ Kafka respondió con un error:[/] {e}")


def json_a_pantalla(objeto: Any) -> None:
    sys.stdout.write(json.dumps(objeto, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


_RELATIVO = re.compile(r"^(\d+)\s*([smhd])$")


def instante(texto: str | None) -> datetime | None:
    """`2026-11-23T10:00`, `2026-11-23`, o relativo a ahora: `30m`, `2h`, `7d`."""
    if not texto:
        return None
    if m := _RELATIVO.match(texto.strip()):
        unidad = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
        return datetime.now(UTC) - timedelta(**{unidad: int(m.group(1))})
    try:
        momento = datetime.fromisoformat(texto)
    except ValueError:
        raise typer.BadParameter(f"'{texto}' no es una fecha ISO (2026-11-23T10:00) ni un lapso (30m, 2h, 7d)")
    return momento if momento.tzinfo else momento.astimezone()


async def admin(opciones: dict) -> AIOKafkaAdminClient:
    cliente = AIOKafkaAdminClient(**opciones, request_timeout_ms=10_000)
    await cliente.start()
    return cliente


async def productor(opciones: dict) -> AIOKafkaProducer:
    """Como el de los servicios: `acks=all` e idempotente (los valores por omisión de aiokafka no lo son)."""
    p = AIOKafkaProducer(**opciones, acks="all", enable_idempotence=True,
                         request_timeout_ms=15_000)
    await p.start()
    return p


async def topicos_alva(opciones: dict) -> list[str]:
    cliente = await admin(opciones)
    try:
        return sorted(t for t in await cliente.list_topics() if t.startswith("alva."))
    finally:
        await cliente.close()


async def lector_en(opciones: dict, topicos: list[str], desde: datetime | None, *, al_final: bool = False,
                    grupo: str | None = None) -> tuple[AIOKafkaConsumer, dict[TopicPartition, int]]:
    """Un lector asignado a todas las particiones de `topicos`, puesto en `desde` (o al principio, o al final,
    o donde lo dejó `grupo`), con el final que tenía cada partición al abrirse."""
    tps = await particiones_de(opciones, topicos) if topicos else []
    lector = AIOKafkaConsumer(**opciones, group_id=grupo, enable_auto_commit=False,
                              auto_offset_reset="earliest")
    await lector.start()
    try:
        if not tps:
            return lector, {}
        lector.assign(tps)
        finales = await lector.end_offsets(tps)
        if al_final:  # seek explícito: seek_to_end de aiokafka pierde particiones cuando son muchas
            for tp in tps:
                lector.seek(tp, finales[tp])
        elif desde is not None:
            posiciones = await lector.offsets_for_times({tp: int(desde.timestamp() * 1000) for tp in tps})
            for tp in tps:
                lector.seek(tp, posiciones[tp].offset if posiciones[tp] else finales[tp])
        elif grupo is None:
            await lector.seek_to_beginning(*tps)
        for tp in tps:
            await lector.position(tp)
        return lector, finales
    except BaseException:
        await lector.stop()
        raise


async def finales_de(opciones: dict, topicos: list[str]) -> dict[TopicPartition, int]:
    """El offset final de cada partición de `topicos`, ahora."""
    tps = await particiones_de(opciones, topicos) if topicos else []
    if not tps:
        return {}
    lector = AIOKafkaConsumer(**opciones, enable_auto_commit=False)
    await lector.start()
    try:
        return await lector.end_offsets(tps)
    finally:
        await lector.stop()


async def por_leer(lector: AIOKafkaConsumer, finales: dict[TopicPartition, int]) -> int:
    """Cuántos mensajes le faltan al lector para llegar a `finales` (para las barras de avance)."""
    return sum([fin - await lector.position(tp) for tp, fin in finales.items()])


async def leer_hasta(lector: AIOKafkaConsumer, finales: dict[TopicPartition, int]):
    """Lo que hay hasta los offsets `finales`, por lotes; para cuando cada partición llega a su final."""
    pendientes = {tp for tp, fin in finales.items() if await lector.position(tp) < fin}
    while pendientes:
        lotes = await lector.getmany(*pendientes, timeout_ms=1000)
        for tp, registros in lotes.items():
            utiles = [r for r in registros if r.offset < finales[tp]]
            if utiles:
                yield tp, utiles
        for tp in list(pendientes):
            if await lector.position(tp) >= finales[tp]:
                pendientes.discard(tp)
