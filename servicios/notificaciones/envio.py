"""Las entregas pendientes salen a la vez, cada una con su plazo; los resultados se registran y publican por lotes."""

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

import orjson

from esquemas.notificaciones import NotificacionEnviada, NotificacionFallida
from plataforma import outbox
from plataforma.contexto import Causa, Contexto
from plataforma.esperas import esperar_evento
from servicios.notificaciones.canales import Correos, ErrorPermanente, ErrorTemporal, enviar_webhook
from servicios.notificaciones.config import AjustesNotificaciones
from servicios.notificaciones.repositorio import PostgresNotificaciones

log = logging.getLogger(__name__)
MARGEN_S = 30.0  # más allá del plazo del canal, para dar por muerto a quien tomó una entrega
REINTENTO_REGISTRO_S = 1.0  # si la base no pudo registrar un lote, se reintenta tras esto


@dataclass(frozen=True)
class Resultado:
    """Lo que pasó con un intento de entrega, esperando a quedar registrado."""

    entrega: object  # la fila que se tomó (asyncpg.Record)
    estado: str  # enviada | fallida | pendiente
    error: str | None
    espera_s: float
    cuando: datetime


@dataclass
class Canales:
    correos: Correos
    web: httpx.AsyncClient | None


def espera_reintento(intentos: int, ajustes: AjustesNotificaciones, pedida: float | None = None) -> float:
    """Exponencial con variación aleatoria (base, 2×base, 4×base… hasta el máximo), o lo que pidió el servidor."""
    if pedida is not None:
        return min(pedida, ajustes.reintento_max_s)
    return min(ajustes.reintento_max_s, ajustes.reintento_base_s * 2 ** (intentos - 1)) * random.uniform(0.5, 1.0)


async def entregar_pendientes(servicio) -> None:
    """Tarea de fondo: toma entregas mientras haya lugar; una lenta o caída no frena a las demás. Cada resultado
    espera al siguiente registro, que anota juntos todos los que hayan terminado (una transacción)."""
    ajustes: AjustesNotificaciones = servicio.ajustes
    despertar, en_curso = asyncio.Event(), set()
    plazo = max(ajustes.smtp_timeout_s, ajustes.webhook_timeout_s) + MARGEN_S
    registro = Registro(servicio)

    def al_terminar(tarea: asyncio.Task) -> None:
        en_curso.discard(tarea)
        despertar.set()
        if tarea.cancelled():
            return
        if (x := tarea.exception()) is not None:  # un error nuestro: la entrega se retoma al vencer su plazo
            log.error("notificaciones: un intento de entrega falló", exc_info=x)
            return
        registro.anotar(tarea.result())

    def al_notificar(*_: object) -> None:
        despertar.set()

    correos = Correos(ajustes)
    async with httpx.AsyncClient() as web, servicio.pool.acquire() as escucha:
        canales = Canales(correos, web)
        await escucha.add_listener("entregas_notificaciones", al_notificar)
        registrando = asyncio.create_task(registro.correr())
        try:
            while True:
                despertar.clear()
                try:
                    if libres := ajustes.entregas_a_la_vez - len(en_curso):
                        async with servicio.pool.acquire() as conn:
                            for e in await PostgresNotificaciones(conn).tomar(libres, plazo):
                                tarea = asyncio.create_task(entregar(ajustes, canales, e))
                                en_curso.add(tarea)
                                tarea.add_done_callback(al_terminar)
                except Exception:  # noqa: BLE001 - la tarea no muere; se reintenta en el siguiente turno
                    log.exception("notificaciones: no se pudieron tomar entregas")
                await esperar_evento(despertar, 1.0)
        finally:
            for tarea in list(en_curso):
                tarea.cancel()
            await asyncio.gather(*en_curso, return_exceptions=True)
            registrando.cancel()
            await asyncio.gather(registrando, return_exceptions=True)
            await registro.vaciar()  # lo ya enviado queda registrado antes de salir
            await correos.cerrar()
            if not escucha.is_closed():
                await escucha.remove_listener("entregas_notificaciones", al_notificar)


async def entregar(ajustes: AjustesNotificaciones, canales: Canales, e) -> Resultado:
    """Un intento, por su canal; nunca lanza por lo que diga el destino, sólo lo anota."""
    estado, error, espera = "enviada", None, 0.0
    try:
        if e["canal"] == "email":
            await canales.correos.enviar(e)
        else:
            await enviar_webhook(ajustes, canales.web, e)
    except (ErrorPermanente, KeyError) as x:  # KeyError: ya no hay secreto configurado para ese webhook
        estado, error = "fallida", str(x)
    except ErrorTemporal as x:
        error = str(x)
        estado = "fallida" if e["intentos"] + 1 >= ajustes.intentos_max else "pendiente"
        espera = espera_reintento(e["intentos"] + 1, ajustes, x.espera_s)
        log.info("entrega %s (%s): %s; %s", e["notificacion_id"], e["destinatario"], error, estado)
    except Exception as x:  # noqa: BLE001 - algo de la entrega misma (un adjunto mal formado): repetir no lo arregla
        log.exception("entrega %s (%s): no se pudo armar o enviar", e["notificacion_id"], e["destinatario"])
        estado, error = "fallida", f"{type(x).__name__}: {x}"
    return Resultado(e, estado, error, espera, datetime.now(UTC))


class Registro:
    """Los resultados que terminaron, registrados juntos: una transacción marca cada entrega y deja en el outbox
    sus `notificacion.enviada` o `notificacion.fallida`. Si la base falla, se reintenta; un resultado cuya entrega
    ya venció no se puede registrar (otro la tomará y la reenviará con el mismo Message-ID)."""

    def __init__(self, servicio) -> None:
        self.servicio = servicio
        self._cola: list[Resultado] = []
        self._hay = asyncio.Event()

    def anotar(self, resultado: Resultado) -> None:
        self._cola.append(resultado)
        self._hay.set()

    async def correr(self) -> None:
        while True:
            await self._hay.wait()
            self._hay.clear()
            if not await self.vaciar():
                await asyncio.sleep(REINTENTO_REGISTRO_S)
                self._hay.set()

    async def vaciar(self) -> bool:
        """Registra lo que haya; falso si la base no pudo (lo anotado sigue en la cola)."""
        lote, self._cola = self._cola, []
        if not lote:
            return True
        try:
            await registrar(self.servicio, lote)
        except Exception:  # noqa: BLE001 - se reintenta; las entregas siguen tomadas hasta su plazo
            log.exception("notificaciones: no se pudieron registrar %d entregas", len(lote))
            self._cola[:0] = lote
            return False
        return True


async def registrar(servicio, resultados: list[Resultado]) -> None:
    """En una transacción: el resultado de cada intento y el hecho de cada entrega que terminó (enviada o fallida),
    sólo de las que seguían siendo nuestras."""
    async with servicio.pool.acquire() as conn, conn.transaction():
        nuestras = await PostgresNotificaciones(conn).registrar_varias(
            [(r.entrega["notificacion_id"], r.entrega["tomada_hasta"], r.estado, r.error, r.espera_s, r.cuando)
             for r in resultados])
        salidas = []
        for r in resultados:
            if r.estado == "pendiente" or r.entrega["notificacion_id"] not in nuestras:
                continue
            salidas += _hecho(servicio.nombre, r)
        encolados = await outbox.encolar(conn, servicio.nombre, salidas)
    if servicio.relay is not None:
        servicio.relay.confirmados(encolados)


def _hecho(nombre: str, r: Resultado) -> list:
    e = r.entrega
    # lo que registra es un efecto afuera (un correo, un POST), no un evento repetible: su hora es la del intento
    ctx = Contexto(None, nombre, Causa.desde_sobre(orjson.loads(e["causa"])), r.cuando)
    comun = dict(notificacion_id=e["notificacion_id"], evento_id=e["evento_id"], evento_tipo=e["evento_tipo"],
                 institucion=e["institucion"], canal=e["canal"], destinatario=e["destinatario"])
    if r.estado == "enviada":
        hecho = NotificacionEnviada(**comun, asunto=e["asunto"], enviada_en=r.cuando)
    else:
        hecho = NotificacionFallida(**comun, motivo=r.error or "desconocido", intentos=e["intentos"] + 1)
    ctx.emitir(hecho, institucion=e["institucion"], subject=e["notificacion_id"])
    return ctx.salidas
