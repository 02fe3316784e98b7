"""Fase `raw`: aiokafka a pelo, en el mismo broker, con los mismos ajustes de tópico y los mismos reportes; es la
línea base con que se compara cada servicio."""

import asyncio
import time

import aiosmtplib

from alva.rendimiento import carga, conexion
from alva.rendimiento.banco import Banco, avisar
from alva.rendimiento.informe import tabla
from alva.rendimiento.medidas import mediana, por_segundo
from alva.rendimiento.sonda import enviar
from plataforma.config import Ajustes
from servicios.notificaciones.canales import correo
from servicios.notificaciones.config import AjustesNotificaciones
from servicios.notificaciones.plantillas import redactar

# nombre → (qué hace, eventos de salida por reporte, escritura en PostgreSQL o correo)
CANALES = {
    "abanico": ("consumir → producir 1→4, commit por lote", 4, None),
    "copia": ("consumir → un COPY por lote → producir 1:1", 1, "copia"),
    "insercion": ("consumir → un INSERT por mensaje → producir 1:1", 1, "insercion"),
    "correo": ("consumir → un correo de aviso por SMTP → producir 1:1", 1, "correo"),
}
# Las del servicio: tantas conexiones SMTP como entregas a la vez, reusadas.
CONEXIONES_SMTP = AjustesNotificaciones.model_fields["entregas_a_la_vez"].default
PRODUCIR = "producir (acks=all, idempotente)"


async def medir(banco: Banco) -> dict:
    n, rondas = banco.opciones.reportes, banco.opciones.rondas
    convenios = carga.convenios(f"REND-{banco.corrida}-raw", banco.instituciones, len(banco.instituciones), n,
                                banco.hoy)
    reportes = carga.sesiones(convenios, n, f"{banco.corrida}raw")
    await _preparar_tablas()
    segundos: dict[str, list[float]] = {"producir": [], **{c: [] for c in CANALES}}
    for ronda in range(1, rondas + 1):
        entrada = f"rendimiento.{banco.corrida}.crudo.{ronda}"
        topicos = [entrada, *(f"{entrada}.{c}" for c in CANALES)]
        await conexion.crear_topicos(topicos)
        await banco.sonda.esperar_lideres(topicos)
        avisar(f"raw ronda {ronda}/{rondas}: producir {n:,} reportes")
        segundos["producir"].append(await enviar(reportes, entrada))
        for canal, (_, abanico, bd) in CANALES.items():
            avisar(f"raw ronda {ronda}/{rondas}: {canal}")
            segundos[canal].append(await canalizar(banco, entrada, f"{entrada}.{canal}", n, abanico, bd))
    bytes_medios = sum(len(r.valor) for r in reportes) / n
    return {"reportes": n, "rondas": rondas, "bytes_por_reporte": round(bytes_medios), "segundos": segundos,
            **{canal: _cifras(n, s, CANALES[canal][1] if canal in CANALES else 0) for canal, s in segundos.items()}}


def _cifras(n: int, segundos: list[float], abanico: int) -> dict:
    reportes_s = por_segundo(n, mediana(segundos))
    return {"reportes_s": reportes_s, "eventos_s": reportes_s * abanico if abanico and reportes_s else None}


async def _preparar_tablas() -> None:
    conn = await conexion.postgres()
    try:
        await preparar_tablas(conn, ("copia", "insercion"))
    finally:
        await conn.close()


async def preparar_tablas(conn, tablas) -> None:
    """Las tablas de las líneas base en el esquema `rendimiento`, vacías: una fila por registro leído."""
    await conn.execute("CREATE SCHEMA IF NOT EXISTS rendimiento")
    for tabla_ in tablas:
        await conn.execute(f"""CREATE TABLE IF NOT EXISTS rendimiento.{tabla_} (topico text, particion int,
                               "offset" bigint, valor bytea, PRIMARY KEY (topico, particion, "offset"))""")
        await conn.execute(f"TRUNCATE rendimiento.{tabla_}")


async def copiar(conn, tabla_: str, registros) -> None:
    """Los registros a `rendimiento.<tabla_>` con un COPY, en una transacción."""
    async with conn.transaction():
        await conn.copy_records_to_table(tabla_, schema_name="rendimiento",
                                         records=[(r.topic, r.partition, r.offset, r.value) for r in registros])


async def canalizar(banco: Banco, entrada: str, salida: str, n: int, abanico: int, bd: str | None) -> float:
    """Lee `n` reportes desde el principio en lotes como los de los servicios; por lote: escribe en PostgreSQL
    (si `bd`) o envía un correo por reporte al buzón SMTP del mundo (si `bd` es "correo"), publica `abanico` eventos
    por reporte con acks=all, espera las confirmaciones y confirma offsets."""
    tps = await banco.sonda.particiones([entrada])
    consumidor = await conexion.consumidor(f"rendimiento-{banco.corrida}-{salida}")
    productor = await conexion.productor()
    conn = await conexion.postgres() if bd in ("copia", "insercion") else None
    smtp = await _conexiones_smtp(CONEXIONES_SMTP) if bd == "correo" else []
    modelos = correos_modelo(banco) if bd == "correo" else []
    try:
        consumidor.assign(tps)
        await consumidor.seek_to_beginning(*tps)
        inicio, vistos, limite = time.monotonic(), 0, time.monotonic() + banco.opciones.plazo
        while vistos < n and time.monotonic() < limite:
            lotes = await consumidor.getmany(timeout_ms=1000, max_records=Ajustes().lote_max)
            registros = [r for rs in lotes.values() for r in rs]
            if not registros:
                continue
            if conn is not None:
                await _escribir(conn, bd, registros)
            if smtp:
                await _enviar_correos(smtp, modelos, registros)
            envios = [await productor.send(salida, r.value, key=r.key, headers=list(r.headers))
                      for r in registros for _ in range(abanico)]
            await asyncio.gather(*envios)
            await consumidor.commit({tp: rs[-1].offset + 1 for tp, rs in lotes.items()})
            vistos += len(registros)
        return time.monotonic() - inicio if vistos >= n else None
    finally:
        await consumidor.stop()
        await productor.stop()
        if conn is not None:
            await conn.close()
        for c in smtp:
            await c.quit()


async def _conexiones_smtp(cuantas: int) -> list[aiosmtplib.SMTP]:
    a = AjustesNotificaciones()
    conexiones = [aiosmtplib.SMTP(hostname=a.smtp_host, port=a.smtp_puerto, timeout=a.smtp_timeout_s)
                  for _ in range(cuantas)]
    await asyncio.gather(*(c.connect() for c in conexiones))
    return conexiones


MARCA = "00000000-0000-0000-0000-000000000000"  # el id de notificación de los correos modelo


def correos_modelo(banco: Banco) -> list[bytes]:
    """Los correos que notificaciones envía en su fase (un objetivo cumplido, un distintivo otorgado), armados una
    vez con sus plantillas: la base envía los mismos bytes, cambiando sólo el Message-ID, sin redactar ni armar."""
    [convenio] = carga.convenios(f"REND-{banco.corrida}-modelo", banco.instituciones[:1], 1, 3, banco.hoy)
    causa = convenio.sesion("S-modelo")
    modelos = []
    avisos = (("objetivo_cumplido", convenio.cumplido(causa)), ("distintivo_otorgado", convenio.otorgado(causa)))
    for aviso, hecho in avisos:
        mensaje = redactar(aviso, hecho.evento.data)
        modelos.append(correo({"destinatario": f"enlace@{convenio.institucion}.example", "asunto": mensaje.asunto,
                               "texto": mensaje.texto, "html": mensaje.html, "notificacion_id": MARCA,
                               "evento_id": hecho.id, "aviso": aviso, "adjuntos": "[]"},
                              AjustesNotificaciones().smtp_remitente))
    return modelos


async def _enviar_correos(conexiones: list[aiosmtplib.SMTP], modelos: list[bytes], registros) -> None:
    """Un correo por reporte, alternando los modelos, repartidos entre las conexiones."""
    async def por(conexion_, parte) -> None:
        for r in parte:
            propio = f"{r.topic}-{r.partition}-{r.offset}".encode()
            crudo = modelos[r.offset % len(modelos)].replace(MARCA.encode(), propio)
            await conexion_.sendmail("distintivo-alva@prodheg.example", ["enlace@alva.example"], crudo)

    await asyncio.gather(*(por(c, registros[k::len(conexiones)]) for k, c in enumerate(conexiones)))


async def _escribir(conn, bd: str, registros) -> None:
    if bd == "copia":
        await copiar(conn, "copia", registros)
        return
    async with conn.transaction():
        for r in registros:
            await conn.execute("INSERT INTO rendimiento.insercion VALUES ($1, $2, $3, $4)",
                               r.topic, r.partition, r.offset, r.value)


def imprimir(r: dict, resultados: dict) -> str:
    filas = [(PRODUCIR, r["producir"]["reportes_s"], None)]
    filas += [(que, r[canal]["reportes_s"], r[canal]["eventos_s"]) for canal, (que, _, _) in CANALES.items()]
    return tabla(f"Línea base, aiokafka a pelo ({r['reportes']:,} reportes de {r['bytes_por_reporte']} B con "
                 f"{carga.ASISTENTES} asistentes; mediana de {r['rondas']} ronda(s))",
                 ["qué", "reportes/s", "eventos/s salida"], filas)
