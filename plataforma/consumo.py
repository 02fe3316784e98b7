"""Consumo por lotes: un lote, una transacción; inbox, reacciones, rechazos, aplazados y outbox juntos."""

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from pydantic import ValidationError

from esquemas import TIPOS, CloudEvent, topico_de
from esquemas.comun import Evento
from esquemas.ingreso import institucion_del_topico
from plataforma import outbox
from plataforma.metricas import Metricas
from plataforma.nube import Entrada, describir_error, nuevo_evento
from plataforma.rechazos import Aplazar, Rechazo, mensajes_de_rechazo

log = logging.getLogger(__name__)

# Errores de infraestructura: deshacen el lote entero para reintentarlo; nunca se vuelven rechazos.
ERRORES_DE_INFRAESTRUCTURA = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
                              asyncpg.exceptions.TooManyConnectionsError, asyncpg.exceptions.QueryCanceledError)

# Lo que se cuenta dentro de un lote espera a que su transacción confirme (por tarea: no se mezcla con otras).
_POR_CONTAR: ContextVar[list[tuple[str, dict[str, str]]] | None] = ContextVar("por_contar", default=None)


@dataclass
class Contexto:
    """Lo que una reacción necesita: la conexión en transacción, el evento que la causó y dónde emitir."""

    conn: asyncpg.Connection
    servicio: str
    causa: CloudEvent | None  # None: una transición por el paso del tiempo, sin evento que la cause
    posicion: tuple[str, int, int] = ("", 0, 0)  # tópico, partición y offset de la entrada
    procesador: "Procesador | None" = None
    salidas: list[outbox.Mensaje] = field(default_factory=list)

    @property
    def ahora(self) -> datetime:
        return datetime.now(UTC)

    def emitir(self, datos: Evento, *, institucion: str, subject: str | None = None) -> CloudEvent:
        """Un hecho nuevo, causado por el evento en curso; sale por el outbox al confirmar la transacción."""
        evento = nuevo_evento(datos, institucion=institucion, subject=subject, servicio=self.servicio, causa=self.causa)
        self.salidas.append(outbox.Mensaje.de_evento(topico_de(datos), evento))
        return evento

    async def reanudar(self, clave: str) -> None:
        """Procesa ahora, en esta transacción, lo que esperaba a `clave` (p. ej. `convenio:<id>`)."""
        if self.procesador is not None:
            self.salidas += await self.procesador.reanudar(self.conn, clave)

    def contar(self, metrica: str, **etiquetas: str) -> None:
        """Suma uno a una métrica del servicio (p. ej. `distintivos_otorgados`), si el servicio mide."""
        if self.procesador is not None:
            self.procesador.contar(metrica, **etiquetas)


Reaccion = Callable[[Contexto, Any], Awaitable[None]]


@dataclass
class Procesador:
    """Lo que un servicio hace con cada tipo de evento que consume.

    `guardian_ingreso`: el servicio que rechaza lo ilegible o desconocido que llega a los tópicos
    de ingreso (uno solo, para que cada entrada mala dé un solo rechazo).
    """

    servicio: str
    reacciones: dict[str, Reaccion]
    guardian_ingreso: bool = False
    metricas: Metricas | None = None

    async def procesar_lote(self, pool: asyncpg.Pool, entradas: list[Entrada]) -> int:
        """Todo el lote en una transacción; un fallo de infraestructura lo deshace entero y se reintenta."""
        salidas: list[outbox.Mensaje] = []
        por_contar: list[tuple[str, dict[str, str]]] = []
        ficha = _POR_CONTAR.set(por_contar)
        try:
            async with pool.acquire() as conn, conn.transaction():
                for entrada in entradas:
                    salidas += await self._procesar(conn, entrada)
                await outbox.encolar(conn, self.servicio, salidas)
        finally:
            _POR_CONTAR.reset(ficha)
        for metrica, etiquetas in por_contar:  # la transacción confirmó
            self.contar(metrica, **etiquetas)
        return len(salidas)

    def contar(self, metrica: str, **etiquetas: str) -> None:
        """Dentro de un lote, cuenta al confirmar; fuera (tareas periódicas), al momento."""
        if self.metricas is None:
            return
        if (por_contar := _POR_CONTAR.get()) is not None:
            por_contar.append((metrica, etiquetas))
        else:
            self.metricas.contar(metrica, **etiquetas)

    async def _procesar(self, conn: asyncpg.Connection, entrada: Entrada) -> list[outbox.Mensaje]:
        de_ingreso = institucion_del_topico(entrada.topico) is not None
        if entrada.error is not None:
            if de_ingreso and not self.guardian_ingreso:
                return []
            return await self._rechazar(conn, entrada, Rechazo(entrada.error.codigo, entrada.error.motivo,
                                                               entrada.error.campo), ilegible=True)
        reaccion = self.reacciones.get(entrada.evento.type)
        if reaccion is None:
            if de_ingreso and self.guardian_ingreso and not _es_reporte(entrada.evento.type):
                return await self._rechazar(conn, entrada, Rechazo(
                    "tipo_desconocido", f"El tipo '{entrada.evento.type}' no es un reporte que ALVA reciba.", "type"))
            return []
        if not await _registrar_en_inbox(conn, entrada.clave_inbox):
            return []
        return await self._reaccionar(conn, entrada, reaccion)

    async def _reaccionar(self, conn: asyncpg.Connection, entrada: Entrada, reaccion: Reaccion) -> list[outbox.Mensaje]:
        evento = entrada.evento
        try:
            datos = self._validar(entrada)
            ctx = Contexto(conn, self.servicio, evento, (entrada.topico, entrada.particion, entrada.offset), self)
            async with conn.transaction():
                await reaccion(ctx, datos)
            self.contar("eventos_procesados", tipo=evento.type)
            return ctx.salidas
        except Aplazar as aplazo:
            await _aparcar(conn, entrada, aplazo)
            return []
        except Rechazo as rechazo:
            return await self._rechazar(conn, entrada, rechazo, en_inbox=True)
        except ERRORES_DE_INFRAESTRUCTURA:
            raise
        except Exception as e:  # noqa: BLE001 - un mensaje venenoso no bloquea su partición
            log.exception("%s: error inesperado con %s", self.servicio, evento.id)
            # No cuenta como procesado: reenviado desde la DLQ tras la corrección, se procesa de verdad.
            await conn.execute("DELETE FROM inbox WHERE evento_id = $1", entrada.clave_inbox)
            return await self._rechazar(conn, entrada, Rechazo(
                "error_interno", f"El servicio {self.servicio} no pudo procesar el evento ({type(e).__name__}); "
                "quedó en la cola de mensajes muertos para revisarlo."), ilegible=True, en_inbox=True)

    async def reanudar(self, conn: asyncpg.Connection, clave: str) -> list[outbox.Mensaje]:
        salidas: list[outbox.Mensaje] = []
        for entrada, _ in await _sacar_pendientes(conn, "clave = $1", clave):
            salidas += await self._reaccionar(conn, entrada, self.reacciones[entrada.evento.type])
        return salidas

    async def rechazar_vencidos(self, conn: asyncpg.Connection, plazo_s: float) -> list[outbox.Mensaje]:
        """Lo que esperó más del plazo se rechaza con el motivo por el que esperaba."""
        salidas: list[outbox.Mensaje] = []
        for entrada, rechazo in await _sacar_pendientes(conn, "recibido_en < now() - make_interval(secs => $1)",
                                                         plazo_s):
            salidas += mensajes_de_rechazo(entrada, rechazo, self.servicio, a_dlq=False)
            self.contar("eventos_rechazados", codigo=rechazo.codigo)
        return salidas

    def _validar(self, entrada: Entrada) -> Evento:
        evento = entrada.evento
        institucion = institucion_del_topico(entrada.topico)
        if institucion is not None and evento.institucion != institucion:
            raise Rechazo("institucion_ajena",
                          f"El evento dice venir de '{evento.institucion}' pero llegó por el tópico de "
                          f"'{institucion}'; cada institución sólo reporta por su propio tópico.", "institucion")
        modelo = TIPOS[evento.type].modelo
        try:
            return modelo.model_validate(evento.data)
        except ValidationError as e:
            campo, motivo = describir_error(e, "data")
            codigo = modelo.codigos_de_error.get(campo.removeprefix("data."), "esquema_invalido")
            raise Rechazo(codigo, f"Los datos no cumplen el esquema {evento.type}: {motivo}", campo) from e

    async def _rechazar(self, conn, entrada: Entrada, rechazo: Rechazo, *, ilegible: bool = False,
                        en_inbox: bool = False) -> list[outbox.Mensaje]:
        if not en_inbox and not await _registrar_en_inbox(conn, entrada.clave_inbox):
            return []
        self.contar("eventos_rechazados", codigo=rechazo.codigo)
        log.info("%s rechaza %s:%s@%s: %s", self.servicio, entrada.topico, entrada.particion, entrada.offset,
                 rechazo.motivo)
        return mensajes_de_rechazo(entrada, rechazo, self.servicio, a_dlq=ilegible)


def _es_reporte(tipo: str) -> bool:
    return tipo in TIPOS and TIPOS[tipo].topico is None


async def _registrar_en_inbox(conn: asyncpg.Connection, clave: str) -> bool:
    """Falso si ya se había procesado: una reentrega no cambia nada."""
    return await conn.fetchval(
        "INSERT INTO inbox (evento_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true", clave) is not None


async def _aparcar(conn: asyncpg.Connection, entrada: Entrada, aplazo: Aplazar) -> None:
    await conn.execute(
        """INSERT INTO pendientes (clave, codigo, motivo, evento, topico, particion, "offset")
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        aplazo.clave, aplazo.codigo, aplazo.motivo, entrada.evento.model_dump_json(), entrada.topico,
        entrada.particion, entrada.offset,
    )


async def _sacar_pendientes(conn: asyncpg.Connection, condicion: str, valor) -> list[tuple[Entrada, Rechazo]]:
    """Los saca en el orden en que llegaron, cada uno con el rechazo que le tocaría si ya no puede esperar."""
    filas = await conn.fetch(
        f"""DELETE FROM pendientes WHERE id IN (SELECT id FROM pendientes WHERE {condicion} ORDER BY id FOR UPDATE)
            RETURNING id, codigo, motivo, evento, topico, particion, "offset" """, valor)
    entradas = []
    for f in sorted(filas, key=lambda f: f["id"]):
        evento = CloudEvent.model_validate_json(f["evento"])
        entrada = Entrada(f["topico"], f["particion"], f["offset"], evento.llave, evento.a_json(), (), evento=evento)
        entradas.append((entrada, Rechazo(f["codigo"], f["motivo"])))
    return entradas
