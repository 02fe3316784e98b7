"""Consumo por lotes: un lote, una transacción; lo que necesita se carga de una vez, se decide en memoria evento
por evento (un rechazo deshace sólo lo suyo) y se escribe de una vez. Nada que no sea infraestructura lo detiene."""

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from pydantic import ValidationError

from esquemas import TIPOS
from esquemas.catalogo import creido_en
from esquemas.comun import Evento
from esquemas.control import InstitucionDadaDeAlta
from esquemas.rechazos import TOPICO as TOPICO_RECHAZOS, TOPICO_REENVIOS
from plataforma.contexto import Causa, Contexto
from plataforma.metricas import Metricas
from plataforma.nube import Entrada, Mensaje, ajeno, codigo_de_error, describir_error, leer, marca_de
from plataforma.rechazos import Aplazar, Rechazo, copia_dlq, huella_cruda, rechazo, respuesta
from plataforma.repositorio import Necesidades, Repositorio

log = logging.getLogger(__name__)

# Infraestructura: deshace el lote entero para reintentarlo; nunca se vuelve rechazo.
ERRORES_DE_INFRAESTRUCTURA = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
                              asyncpg.exceptions.TooManyConnectionsError, asyncpg.exceptions.QueryCanceledError,
                              asyncpg.exceptions.CannotConnectNowError, asyncpg.exceptions.AdminShutdownError)
# Choques con otra instancia que escribió lo mismo a la vez: se reintenta el lote, que ya verá lo que ella hizo.
CHOQUES = (asyncpg.exceptions.DeadlockDetectedError, asyncpg.exceptions.SerializationError,
           asyncpg.exceptions.UniqueViolationError)
REINTENTOS_POR_CHOQUE = 3


@dataclass(frozen=True)
class Reaccion:
    """Qué hace un servicio con un tipo: el modelo de sus datos, el caso de uso y lo que éste necesita cargado."""

    modelo: type[Evento]
    caso: Callable[[Contexto, Any], None]
    necesidades: Callable[[Any, str], Necesidades] | None = None  # (datos, institución del evento)


@dataclass
class Hecho:
    """Lo que dejó un lote ya confirmado: para las métricas y para quien reacciona después (p. ej. el relay)."""

    salidas: int = 0
    cuentas: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    altas: list[str] = field(default_factory=list)  # instituciones dadas de alta en este lote
    encolados: list = field(default_factory=list)  # lo que dejó en el outbox (`outbox.Encolado`), para el relay


# Lo que el inbox ya tiene de las claves de un lote: una búsqueda por índice por clave (LATERAL), nunca un recorrido
# del inbox entero, que crece con la historia.
PREVIAS = """SELECT i.evento_id, i.huella, i.respuesta::text AS respuesta FROM unnest($1::text[]) AS k(c)
             CROSS JOIN LATERAL (SELECT evento_id, huella, respuesta FROM inbox WHERE evento_id = k.c OFFSET 0) i"""
# Lo nuevo de un lote, con su desenlace, en una sola alta: sin ON CONFLICT, porque otra instancia que anotó la misma
# clave entretanto (durante un reparto de particiones) debe hacer chocar este lote (UniqueViolation: se reintenta).
ANOTAR = """INSERT INTO inbox (evento_id, huella, respuesta)
            SELECT c, h, r::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS u(c, h, r)"""

# El desenlace de una entrada anotada en otro lote (una aparcada que se reanuda o vence), en su fila: una búsqueda
# por índice por evento (LATERAL), como PREVIAS. Por ctid: la fila es la de una entrada aparcada que sólo su
# partición retoma; si otra transacción la cambiara entre la búsqueda y el UPDATE, su ctid ya no coincide y queda la
# respuesta de esa otra, que es la misma.
RESPONDER = """UPDATE inbox SET respuesta = u.r::jsonb
               FROM (SELECT i.ctid AS fila, k.r FROM unnest($1::text[], $2::text[]) AS k(c, r)
                     CROSS JOIN LATERAL (SELECT ctid FROM inbox WHERE evento_id = k.c OFFSET 0) i) u
               WHERE inbox.ctid = u.fila"""


class Procesador:
    """Lo que un servicio hace con cada tipo de evento que consume.

    `guardian_ingreso`: el servicio que rechaza lo ilegible o desconocido que llega a los tópicos de ingreso
    (uno solo, para que cada entrada mala dé un solo rechazo).
    """

    def __init__(self, servicio: str, reacciones: dict[str, Reaccion], repositorio: Callable[[asyncpg.Connection], Repositorio],
                 *, guardian_ingreso: bool = False, metricas: Metricas | None = None,
                 plazo_pendientes_s: float | None = None) -> None:
        self.servicio, self.reacciones, self.repositorio = servicio, reacciones, repositorio
        self.guardian_ingreso, self.metricas = guardian_ingreso, metricas
        # Cuánto espera una entrada aparcada (por la hora del broker): lo que llega tarde para ella no la revive.
        self.plazo_pendientes_s = plazo_pendientes_s
        self.utiles = frozenset(reacciones) | {InstitucionDadaDeAlta.tipo}
        # Quien no guarda los ingresos sólo decodifica de ahí lo que nombra uno de sus reportes (ver `nube.leer`):
        # por un ingreso sólo se cree un reporte (`creido_en`).
        self.nombres = None if guardian_ingreso else tuple(
            t.encode() for t in sorted(self.utiles) if t in TIPOS and TIPOS[t].es_reporte)
        self.publicar = True  # al reconstruir, lo que se decide ya está en los tópicos: no se vuelve a encolar
        self.al_dar_de_alta: Callable[[list[str]], Awaitable[None]] | None = None

    def leer_lote(self, registros) -> list[Entrada]:
        """Los registros de un lote que pueden ser de este servicio, como `Entrada`; los demás (la mayoría, en un
        tópico donde otro servicio publica muchos tipos) ni se arman."""
        utiles, nombres = self.utiles, self.nombres
        return [_entrada(r) for r in registros
                if not ajeno(r.topic, r.value, r.headers or (), utiles=utiles, nombres=nombres)]

    def leer(self, registro) -> Entrada:
        """Un registro de aiokafka como `Entrada` (lo ajeno, sin decodificar)."""
        return _entrada(registro, utiles=self.utiles, nombres=self.nombres)

    async def procesar_lote(self, pool: asyncpg.Pool, entradas: list[Entrada]) -> Hecho:
        """Todo el lote en una transacción. Si falla por algo que no es infraestructura, se parte en mitades
        hasta aislar la entrada venenosa, que se rechaza sola; el resto sigue."""
        entradas = [e for e in entradas if not e.omitida]
        hecho = Hecho()
        if not entradas:
            return hecho
        try:
            hecho = await self._con_reintentos(pool, entradas)
        except ERRORES_DE_INFRAESTRUCTURA:
            raise
        except Exception as error:  # noqa: BLE001 - un veneno no detiene la partición
            if len(entradas) == 1:
                log.exception("%s: la entrada %s no se pudo escribir; se rechaza sola", self.servicio,
                              entradas[0].posicion)
                hecho = await self._rechazar_sola(pool, entradas[0], error)
            else:
                self._contar_ya("lotes_divididos")
                mitad = len(entradas) // 2
                primera = await self.procesar_lote(pool, entradas[:mitad])
                segunda = await self.procesar_lote(pool, entradas[mitad:])
                return Hecho(primera.salidas + segunda.salidas, [], primera.altas + segunda.altas,
                             primera.encolados + segunda.encolados)
        self._cerrar(hecho)
        return hecho

    async def _con_reintentos(self, pool: asyncpg.Pool, entradas: list[Entrada]) -> Hecho:
        for intento in range(REINTENTOS_POR_CHOQUE):
            try:
                async with pool.acquire() as conn, conn.transaction():
                    lote = Lote(self, conn)
                    await lote.correr(entradas)
                    return await lote.escribir()
            except CHOQUES as choque:
                if intento == REINTENTOS_POR_CHOQUE - 1:
                    raise
                log.info("%s: el lote chocó con otra instancia (%s); se reintenta", self.servicio, type(choque).__name__)
        raise AssertionError("inalcanzable")

    async def _rechazar_sola(self, pool: asyncpg.Pool, entrada: Entrada, error: Exception) -> Hecho:
        async with pool.acquire() as conn, conn.transaction():
            lote = Lote(self, conn)
            lote.error_interno(entrada, error)
            return await lote.escribir()

    def _cerrar(self, hecho: Hecho) -> None:
        """La transacción confirmó: cada métrica sube una vez por lote con lo que sumó (no una vez por evento)."""
        if self.metricas is None:
            return
        sumas = Counter((metrica, tuple(etiquetas.items())) for metrica, etiquetas in hecho.cuentas)
        for (metrica, etiquetas), cuantos in sumas.items():
            self.metricas.contar(metrica, cuantos, **dict(etiquetas))

    def _contar_ya(self, metrica: str, **etiquetas: str) -> None:
        if self.metricas is not None:
            self.metricas.contar(metrica, **etiquetas)

    async def rechazar_vencidos(self, conn: asyncpg.Connection, plazo_s: float, hasta: datetime | None = None) -> list[Mensaje]:
        """Lo que esperó más del plazo (según la hora del broker de la entrada) se rechaza con su motivo."""
        lote = Lote(self, conn)
        await lote.vencer_pendientes(plazo_s, hasta or datetime.now(UTC))
        hecho = await lote.escribir()
        self._cerrar(hecho)
        return lote.salidas


class Lote:
    """Un lote en curso dentro de su transacción."""

    def __init__(self, procesador: Procesador, conn: asyncpg.Connection) -> None:
        self.p, self.conn = procesador, conn
        self.repo = procesador.repositorio(conn)
        self.salidas: list[Mensaje] = []
        self.cuentas: list[tuple[str, dict[str, str]]] = []
        self.respuestas: dict[str, dict] = {}  # clave de inbox → desenlace guardado
        self.reclamadas: dict[str, str] = {}  # clave de inbox → huella: lo que este lote anota como procesado
        self.fuera_del_inbox: list[str] = []  # fallaron dentro del servicio: que un reenvío las procese de verdad
        self.aparcadas: list[tuple[str, Aplazar, Entrada]] = []
        self.a_dlq: list[tuple[str, Entrada]] = []
        self.altas: list[str] = []
        self.registradas: set[str] = set()

    # ---------- el recorrido ----------

    async def correr(self, entradas: list[Entrada]) -> None:
        entradas = [await self._desde_reenvio(e) if e.topico == TOPICO_REENVIOS else e for e in entradas]
        decididas = [(e, self._que_hacer(e)) for e in entradas if e is not None]
        nuevas = await self._inbox([(e, q) for e, q in decididas if q is not None])
        await self._registradas({e.institucion for e, q in nuevas if q == "procesar" and e.institucion})
        datos = {id(e): self._validar(e) for e, q in nuevas if q == "procesar"}
        await self.repo.cargar(self._necesidades([(e, d) for e, q in nuevas if (d := datos.get(id(e))) is not None
                                                  and not isinstance(d, Rechazo)]))
        for entrada, que in nuevas:
            if que == "procesar":
                await self._procesar(entrada, datos[id(entrada)])
            else:
                self._rechazar(entrada, que, dlq=que.codigo in ILEGIBLES)

    def _que_hacer(self, e: Entrada) -> "str | Rechazo | None":
        """"procesar", un Rechazo de este servicio, o None (no es asunto suyo)."""
        ingreso = e.institucion is not None
        guardian = ingreso and self.p.guardian_ingreso
        if e.error is not None:
            return Rechazo(e.error.codigo, e.error.motivo, e.error.campo) if guardian or not ingreso else None
        tipo = e.evento.type
        if tipo not in TIPOS:
            if guardian:
                return Rechazo("tipo_desconocido", f"El tipo '{tipo}' no es un reporte que ALVA reciba.", "type")
            return None
        if not creido_en(tipo, e.topico, e.institucion):
            if guardian:
                return Rechazo("tipo_fuera_de_lugar", f"El tipo '{tipo}' no se acepta por un tópico de ingreso: por "
                               "aquí sólo llegan reportes (mx.alva.ingreso.*); los hechos los publica sólo su "
                               "servicio, en su tópico.", "type")
            if not ingreso:
                log.warning("%s: %s no se cree en %s; se ignora", self.p.servicio, tipo, e.posicion)
            return None
        if tipo not in self.p.reacciones and tipo != InstitucionDadaDeAlta.tipo:
            return None
        if ingreso and e.evento.institucion != e.institucion:
            return Rechazo("institucion_ajena",
                           f"El evento dice venir de '{e.evento.institucion}' pero llegó por el tópico de "
                           f"'{e.institucion}'; cada institución sólo reporta por su propio tópico.", "institucion")
        return "procesar"

    async def _inbox(self, decididas: list[tuple[Entrada, "str | Rechazo"]]) -> list[tuple[Entrada, "str | Rechazo"]]:
        """Cada entrada una vez: lo ya procesado se salta (un reporte recibe otra vez su desenlace) y un id reusado
        con otro contenido se rechaza (`id_reutilizado`). Lo nuevo se anota al escribir, con su desenlace, en una
        sola alta (`escribir`): si otra instancia anotó lo mismo entretanto, el alta choca y el lote se reintenta."""
        if not decididas:
            return []
        primeras: dict[str, str] = {}
        for e, _ in decididas:
            primeras.setdefault(e.clave_inbox, huella(e))
        previas = {f["evento_id"]: (f["huella"], f["respuesta"])
                   for f in await self.conn.fetch(PREVIAS, list(primeras))}
        nuevas = []
        for entrada, que in decididas:
            clave = entrada.clave_inbox
            if clave not in previas and clave not in self.reclamadas:
                self.reclamadas[clave] = primeras[clave]
                nuevas.append((entrada, que))
                continue
            anterior, guardada = previas.get(clave, (primeras[clave], None))
            if anterior != huella(entrada):
                self._rechazar(entrada, Rechazo(
                    "id_reutilizado", f"El id {entrada.evento.id if entrada.evento else ''} ya se usó para otro "
                    "reporte con otro contenido; cada reporte lleva un id nuevo (o reenvíe el mismo reporte tal "
                    "cual).", "id"), registrar=False)
            elif guardada and entrada.institucion is not None:
                self.salidas.append(_repetir(entrada, orjson.loads(guardada), self.p.servicio))
        return nuevas

    async def _registradas(self, instituciones: set[str]) -> None:
        """Las instituciones dadas de alta (de `alva.control`); lo de una que no, espera a que lo esté."""
        if faltan := instituciones - self.registradas:
            self.registradas |= {f["institucion"] for f in await self.conn.fetch(
                "SELECT institucion FROM instituciones WHERE institucion = ANY($1::text[])", list(faltan))}

    def _validar(self, e: Entrada) -> "Evento | Rechazo":
        if e.evento.type == InstitucionDadaDeAlta.tipo:
            return InstitucionDadaDeAlta.model_validate(e.evento.data)
        modelo = self.p.reacciones[e.evento.type].modelo
        try:
            return modelo.model_validate(e.evento.data)
        except ValidationError as error:
            campo, motivo = describir_error(error, "data")
            return Rechazo(codigo_de_error(modelo, error), f"Los datos no cumplen el esquema {e.evento.type}: {motivo}",
                           campo)

    def _necesidades(self, pares: list[tuple[Entrada, Evento]]) -> Necesidades:
        juntas: Necesidades = {}
        for e, datos in pares:
            reaccion = self.p.reacciones.get(e.evento.type)
            if reaccion is not None and reaccion.necesidades is not None:
                for tabla, llaves in reaccion.necesidades(datos, e.evento.institucion).items():
                    juntas.setdefault(tabla, set()).update(llaves)
        return juntas

    async def _procesar(self, entrada: Entrada, datos: "Evento | Rechazo") -> None:
        if isinstance(datos, Rechazo):
            return self._rechazar(entrada, datos)
        if isinstance(datos, InstitucionDadaDeAlta):
            return await self._dar_de_alta(datos, entrada.marca)
        if entrada.institucion is not None and entrada.institucion not in self.registradas:
            clave = f"institucion:{entrada.institucion}"
            return self._aparcar(entrada, Aplazar(clave, "institucion_no_dada_de_alta",
                                                  f"La institución '{entrada.institucion}' no está dada de alta en ALVA."))
        evento = entrada.evento
        causa = Causa(evento.id, evento.type, evento.institucion, evento.correlationid, entrada.marca, evento)
        ctx = Contexto(self.repo, self.p.servicio, causa, entrada.marca)
        marca = self.repo.diario.marca()
        try:
            self.p.reacciones[evento.type].caso(ctx, datos)
        except Aplazar as aplazo:
            self.repo.diario.deshacer(marca)
            return self._aparcar(entrada, aplazo)
        except Rechazo as r:
            self.repo.diario.deshacer(marca)
            return self._rechazar(entrada, r)
        except Exception as error:  # noqa: BLE001 - un error con un evento no detiene a los demás
            self.repo.diario.deshacer(marca)
            log.exception("%s: error inesperado con %s", self.p.servicio, entrada.posicion)
            return self.error_interno(entrada, error)
        self.salidas += ctx.salidas
        self.cuentas += ctx.cuentas + [("eventos_procesados", {"tipo": evento.type})]
        if entrada.institucion is not None:
            self._responder(entrada, aceptado=True, hechos=ctx.hechos)
        for clave in ctx.reanudaciones:
            await self.reanudar(clave, entrada.marca)

    async def _dar_de_alta(self, alta: InstitucionDadaDeAlta, ahora: datetime) -> None:
        await self.conn.execute("INSERT INTO instituciones (institucion) VALUES ($1) ON CONFLICT DO NOTHING",
                                alta.institucion)
        self.registradas.add(alta.institucion)
        self.altas.append(alta.institucion)
        await self.reanudar(f"institucion:{alta.institucion}", ahora)

    async def reanudar(self, clave: str, ahora: datetime) -> None:
        """Lo que esperaba a `clave`, en el orden en que llegó, como si llegara ahora (sin pasar por el inbox).

        Lo que ya esperó más del plazo cuando llega lo que le faltaba (`ahora`, la hora del broker de eso) se rechaza
        como si la tarea de vencidos lo hubiera alcanzado: así el desenlace depende sólo de las horas del broker, y
        repetir los tópicos (`alva reconstruir`) decide lo mismo."""
        filas = await self.conn.fetch(
            """DELETE FROM pendientes WHERE id IN (SELECT id FROM pendientes WHERE clave = $1 ORDER BY id FOR UPDATE)
               RETURNING id, codigo, motivo, topico, particion, "offset", marca, llave, valor,
                         cabeceras::text AS cabeceras""", clave)
        esperaban = [(_de_pendiente(f), Rechazo(f["codigo"], f["motivo"])) for f in sorted(filas, key=lambda f: f["id"])]
        esperaban += [(e, Rechazo(a.codigo, a.motivo)) for c, a, e in self.aparcadas if c == clave]  # de este lote
        self.aparcadas = [a for a in self.aparcadas if a[0] != clave]
        plazo = self.p.plazo_pendientes_s
        entradas = []
        for entrada, vencido in esperaban:
            if plazo is not None and (ahora - entrada.marca).total_seconds() > plazo:
                self._rechazar(entrada, vencido)
            else:
                entradas.append(entrada)
        datos = {id(e): self._validar(e) for e in entradas}
        await self._registradas({e.institucion for e in entradas if e.institucion})
        await self.repo.cargar(self._necesidades([(e, d) for e in entradas
                                                  if not isinstance(d := datos[id(e)], Rechazo)]))
        for entrada in entradas:
            await self._procesar(entrada, datos[id(entrada)])

    # ---------- desenlaces ----------

    def _rechazar(self, entrada: Entrada, r: Rechazo, *, dlq: bool = False, registrar: bool = True) -> None:
        log.info("%s rechaza %s: %s %s", self.p.servicio, entrada.posicion, r.codigo, r.motivo)
        if entrada.topico != TOPICO_RECHAZOS:  # rechazar un rechazo daría otro, y otro: sólo va a la DLQ
            self.salidas.append(rechazo(entrada, r, self.p.servicio, entrada.marca))
        self.cuentas.append(("eventos_rechazados", {"codigo": r.codigo}))
        if dlq:
            self.salidas.append(copia_dlq(entrada, r, self.p.servicio))
            self.a_dlq.append((huella_cruda(entrada.valor), entrada))
        if entrada.institucion is not None:
            self._responder(entrada, aceptado=False, r=r, guardar=registrar)

    def error_interno(self, entrada: Entrada, error: Exception) -> None:
        """Falló dentro del servicio: se rechaza, va a la DLQ y no cuenta como procesada (el reenvío la procesa)."""
        self.fuera_del_inbox.append(entrada.clave_inbox)
        self._rechazar(entrada, Rechazo(
            "error_interno", f"El servicio {self.p.servicio} no pudo procesar la entrada ({type(error).__name__}); "
            "quedó en la cola de mensajes muertos para revisarla."), dlq=True, registrar=False)

    def _responder(self, entrada: Entrada, *, aceptado: bool, hechos=(), r: Rechazo | None = None,
                   guardar: bool = True) -> None:
        self.salidas.append(respuesta(entrada, self.p.servicio, entrada.marca, aceptado=aceptado, hechos=list(hechos),
                                      r=r))
        if guardar:
            self.respuestas[entrada.clave_inbox] = {
                "aceptado": aceptado, "hechos": [list(h) for h in hechos],
                **({"codigo": r.codigo, "campo": r.campo, "motivo": r.motivo} if r else {})}

    def _aparcar(self, entrada: Entrada, aplazo: Aplazar) -> None:
        self.aparcadas.append((aplazo.clave, aplazo, entrada))

    async def vencer_pendientes(self, plazo_s: float, ahora: datetime) -> None:
        filas = await self.conn.fetch(
            """DELETE FROM pendientes WHERE id IN (SELECT id FROM pendientes WHERE marca < $1::timestamptz - make_interval(secs => $2::float8)
               ORDER BY id FOR UPDATE SKIP LOCKED)
               RETURNING id, codigo, motivo, topico, particion, "offset", marca, llave, valor, cabeceras::text AS cabeceras""",
            ahora, plazo_s)
        for f in sorted(filas, key=lambda f: f["id"]):
            self._rechazar(_de_pendiente(f), Rechazo(f["codigo"], f["motivo"]))

    # ---------- escritura ----------

    async def escribir(self) -> Hecho:
        await self._anotar()  # primero: si otra instancia anotó lo mismo, el lote choca antes de escribir lo demás
        await self.repo.confirmar()
        if self.aparcadas:
            await self.conn.executemany(
                """INSERT INTO pendientes (clave, codigo, motivo, topico, particion, "offset", marca, llave, valor, cabeceras)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)""",
                [(clave, a.codigo, a.motivo, e.topico, e.particion, e.offset, e.marca, e.llave, e.valor,
                  orjson.dumps([[k, v.decode("utf-8", "replace")] for k, v in e.cabeceras]).decode())
                 for clave, a, e in self.aparcadas])
        if self.a_dlq:
            await self.conn.executemany(
                """INSERT INTO dlq (huella, topico, particion, "offset") VALUES ($1, $2, $3, $4)
                   ON CONFLICT DO NOTHING""",
                [(h, e.topico, e.particion, e.offset) for h, e in self.a_dlq])
        from plataforma import outbox  # aquí: outbox importa de nube, y nube no debe depender del consumo

        encolados = await outbox.encolar(self.conn, self.p.servicio, self.salidas) if self.p.publicar else []
        return Hecho(len(self.salidas), self.cuentas, self.altas, encolados)

    async def _anotar(self) -> None:
        """El inbox del lote: lo nuevo en una sola alta con su desenlace; el desenlace de lo que ya estaba anotado
        (una entrada aparcada en otro lote, que se reanudó o venció) por su fila; y fuera lo que falló dentro del
        servicio, para que un reenvío lo procese de verdad."""
        fuera = set(self.fuera_del_inbox)
        nuevas = [c for c in self.reclamadas if c not in fuera]
        if nuevas:
            respuestas = self.respuestas
            await self.conn.execute(ANOTAR, nuevas, [self.reclamadas[c] for c in nuevas],
                                    [orjson.dumps(r).decode() if (r := respuestas.get(c)) is not None else None
                                     for c in nuevas])
        if antes := [c for c in self.respuestas if c not in self.reclamadas]:
            await self.conn.execute(RESPONDER, antes, [orjson.dumps(self.respuestas[c]).decode() for c in antes])
        if fuera := [c for c in self.fuera_del_inbox if c not in self.reclamadas]:
            await self.conn.execute("DELETE FROM inbox WHERE evento_id = ANY($1::text[])", fuera)

    # ---------- reenvíos desde la DLQ ----------

    async def _desde_reenvio(self, e: Entrada) -> Entrada | None:
        """Un reenvío se cree sólo si son exactamente los bytes que este servicio mandó a su DLQ."""
        cabeceras = dict(e.cabeceras)
        if cabeceras.get("alva-servicio", b"").decode("utf-8", "replace") != self.p.servicio:
            return None
        previa = await self.conn.fetchrow('SELECT topico, particion, "offset" FROM dlq WHERE huella = $1',
                                          huella_cruda(e.valor))
        if previa is None:
            self._rechazar(e, Rechazo("reenvio_desconocido", "Este reenvío no corresponde a nada que este servicio "
                                      "haya enviado a su DLQ; no se procesa."))
            return None
        marca = marca_de(int(cabeceras.get("alva-marca-original", b"-1") or -1))
        original = leer(previa["topico"], previa["particion"], previa["offset"], marca, e.llave, e.valor,
                        [(k, v) for k, v in e.cabeceras if not k.startswith("alva-")])
        return _con_reenvio(original, e.posicion)


ILEGIBLES = {"json_invalido", "sobre_invalido", "content_type_no_soportado", "texto_invalido", "profundidad_excesiva",
             "demasiado_grande"}


def huella(e: Entrada) -> str:
    """Igual contenido, igual huella: distingue un reenvío de un reporte distinto con el mismo id."""
    if e.evento is None:
        return huella_cruda(e.valor)
    ev = e.evento
    return huella_cruda(orjson.dumps([ev.type, ev.source, ev.subject, ev.institucion, ev.dataschema, ev.data],
                                     option=orjson.OPT_SORT_KEYS))


def _entrada(registro, **filtro) -> Entrada:
    """Un registro de aiokafka como `Entrada`; `filtro` (utiles, nombres) si aún no se preguntó si es ajeno."""
    return leer(registro.topic, registro.partition, registro.offset, marca_de(registro.timestamp), registro.key,
                registro.value, registro.headers or (), **filtro)


def _de_pendiente(f) -> Entrada:
    cabeceras = [(k, v.encode()) for k, v in orjson.loads(f["cabeceras"])]
    return leer(f["topico"], f["particion"], f["offset"], f["marca"], f["llave"], f["valor"], cabeceras)


def _con_reenvio(entrada: Entrada, desde: str) -> Entrada:
    from dataclasses import replace

    return replace(entrada, reenvio_de=desde)


def _repetir(entrada: Entrada, guardada: dict, servicio: str) -> Mensaje:
    r = Rechazo(guardada["codigo"], guardada["motivo"], guardada.get("campo")) if not guardada["aceptado"] else None
    return respuesta(entrada, servicio, entrada.marca, aceptado=guardada["aceptado"],
                     hechos=[tuple(h) for h in guardada.get("hechos", [])], r=r, repetido=True)
