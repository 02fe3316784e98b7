"""`alva reconstruir`: cada servicio, vuelto a llenar desde los tópicos, queda con las mismas tablas, y al arrancar
otra vez no publica nada que ya estuviera publicado.

Corre en un mundo aparte (su propio Kafka embebido, arrancado por `python -m infra.entorno` con otra carpeta y otros
puertos, y su propia base en el PostgreSQL de las pruebas): lo que otras pruebas hacen en el broker compartido
(borrar tópicos, correr servicios con otros ajustes) no es historia que este mundo deba poder repetir."""

import asyncio
import os
import socket
import subprocess
import sys
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from alva import escenario
from alva.observador import Observador
from esquemas.catalogo import TOPICOS_CANONICOS
from esquemas.distintivos import DistintivoOtorgado, DistintivoRevocado
from esquemas.ingreso import ReporteConvenioCancelado, ReporteSesionCompletada, topico_ingreso
from esquemas.notificaciones import NotificacionEnviada
from esquemas.rechazos import TOPICO as TOPICO_RECHAZOS
from plataforma.kafka import ConexionKafka, leer_clave
from plataforma.reconstruccion import reconstruir
from plataforma.topicos import dar_de_alta
from tests.conftest import Infra, unico
from tests.e2e.ayudas import de_tipo, enviar, rechazo_de
from tests.servicios import FABRICAS, ajustes_de

pytestmark = pytest.mark.e2e
RAIZ = Path(__file__).resolve().parents[2]
SERVICIOS = tuple(FABRICAS)


def _puerto_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mundo:
    infra: Infra
    carpeta: Path

    def conexion(self, principal: str) -> ConexionKafka:
        principales, ca = self.carpeta / "kafka" / "principales", self.carpeta / "kafka" / "tls" / "ca.pem"
        return ConexionKafka(self.infra.kafka, "SASL_SSL", "SCRAM-SHA-512", principal,
                             leer_clave(principales / f"{principal}.json"), ca)

    def ajustes(self, nombre: str, smtp_puerto: int):
        principal = f"alva-{nombre}"
        return ajustes_de(nombre, self.infra, smtp_puerto, kafka_protocolo="SASL_SSL", kafka_usuario=principal,
                          kafka_clave_archivo=self.carpeta / "kafka" / "principales" / f"{principal}.json",
                          kafka_ca=self.carpeta / "kafka" / "tls" / "ca.pem")


@pytest.fixture(scope="module")
async def mundo(infra, tmp_path_factory):
    carpeta = tmp_path_factory.mktemp("mundo-aparte")
    env = {**os.environ, "ALVA_DATOS": str(carpeta), "ALVA_KAFKA_PUERTO": str(_puerto_libre()),
           "ALVA_KAFKA_PUERTO_CONTROLADOR": str(_puerto_libre())}
    for variable in ("KAFKA_BOOTSTRAP_SERVERS", "ALVA_POSTGRES_DSN"):
        env.pop(variable, None)
    orden = [sys.executable, "-m", "infra.entorno"]
    arranque = await asyncio.to_thread(subprocess.run, [*orden, "arrancar", "kafka"], env=env, cwd=RAIZ,
                                       capture_output=True, text=True, timeout=240)
    assert arranque.returncode == 0, arranque.stdout + arranque.stderr
    base = f"reconstruccion_{unico('m').replace('-', '_')}"
    conn = await asyncpg.connect(infra.postgres_dsn)
    await conn.execute(f"CREATE DATABASE {base}")
    await conn.close()
    bootstrap = f"127.0.0.1:{env['ALVA_KAFKA_PUERTO']}"
    m = Mundo(Infra(bootstrap, infra.postgres_dsn.rsplit("/", 1)[0] + f"/{base}", "aparte", None), carpeta)
    m.infra = Infra(bootstrap, m.infra.postgres_dsn, "aparte", m.conexion("alva-admin"))
    try:
        yield m
    finally:
        await asyncio.to_thread(subprocess.run, [*orden, "detener", "--borrar"], env=env, cwd=RAIZ,
                                capture_output=True, timeout=120)
        conn = await asyncpg.connect(infra.postgres_dsn)
        await conn.execute(f"DROP DATABASE IF EXISTS {base} WITH (FORCE)")
        await conn.close()


async def _arrancar(pila: AsyncExitStack, mundo: Mundo, smtp_puerto: int) -> dict:
    servicios = {}
    for nombre in SERVICIOS:
        servicio = FABRICAS[nombre][0](mundo.ajustes(nombre, smtp_puerto))
        await servicio.app.start()
        pila.push_async_callback(servicio.app.stop)
        servicios[nombre] = servicio
    return servicios


async def _finales(admin: AIOKafkaAdminClient, opciones: dict) -> dict[TopicPartition, int]:
    from aiokafka import AIOKafkaConsumer

    topicos = [t for t in await admin.list_topics() if t.startswith("alva.")]
    lector = AIOKafkaConsumer(**opciones)
    await lector.start()
    try:
        await lector._client.force_metadata_update()  # noqa: SLF001
        tps = [TopicPartition(t, p) for t in topicos for p in lector.partitions_for_topic(t) or ()]
        return await lector.end_offsets(tps)
    finally:
        await lector.stop()


async def _quieto(mundo: Mundo, plazo_s: float = 90) -> dict[TopicPartition, int]:
    """Espera a que cada servicio haya leído todo lo suyo y nada espere en un outbox ni por entregarse; devuelve los
    finales de los tópicos en ese momento."""
    opciones = mundo.infra.opciones()
    admin = AIOKafkaAdminClient(**opciones)
    await admin.start()
    conn = await asyncpg.connect(mundo.infra.postgres_dsn)
    try:
        limite = asyncio.get_running_loop().time() + plazo_s
        while True:
            finales = await _finales(admin, opciones)
            faltan = []
            for nombre in SERVICIOS:
                leidos = await admin.list_consumer_group_offsets(f"alva-{nombre}")
                faltan += [f"{nombre} {tp}" for tp, om in leidos.items() if om.offset < finales.get(tp, 0)]
                faltan += [f"{nombre}.outbox"] * await conn.fetchval(f"SELECT count(*) FROM {nombre}.outbox")
            faltan += ["entregas"] * await conn.fetchval(
                "SELECT count(*) FROM notificaciones.entregas WHERE estado = 'pendiente'")
            if not faltan and finales == await _finales(admin, opciones):
                return finales
            if asyncio.get_running_loop().time() > limite:
                raise TimeoutError(f"el mundo no se aquietó en {plazo_s:g} s: {faltan[:5]}")
            await asyncio.sleep(0.3)
    finally:
        await conn.close()
        await admin.close()


async def _historia(mundo: Mundo, buzon) -> None:
    """Un poco de todo: convenios, sesiones que esperan a su convenio (y una que sigue esperando), reportes
    repetidos y malos, un id reusado, distintivos con su correo y una revocación."""
    productor = AIOKafkaProducer(**mundo.infra.opciones(), acks="all", enable_idempotence=True)
    await productor.start()
    hoy = date.today()
    topicos = [*TOPICOS_CANONICOS, TOPICO_RECHAZOS, topico_ingreso(escenario.OTORGANTE), topico_ingreso(escenario.IMSS)]
    observador = await Observador.abrir(mundo.infra.opciones(), topicos)
    try:
        await dar_de_alta(mundo.infra.admin, escenario.IMSS, carpeta_credenciales=mundo.carpeta / "kafka" / "principales")
        # Uno completo, con sus sesiones antes que su convenio (esperan y luego cuentan).
        uno = unico("uno")
        for r in [*escenario.sesiones(uno, hoy), escenario.convenio(uno, hoy)]:
            await enviar(productor, r)
        otorgado = await observador.esperar(de_tipo(DistintivoOtorgado, convenio_id=f"ALVA-GTO-IMSS-{uno}"), 90)
        await observador.esperar(de_tipo(NotificacionEnviada, evento_id=str(otorgado.id)), 60)
        # Otro, que se otorga y luego se revoca al cancelarse su convenio.
        dos = unico("dos")
        for r in [escenario.convenio(dos, hoy), *escenario.sesiones(dos, hoy)]:
            await enviar(productor, r)
            await enviar(productor, r)  # repetido: un solo efecto
        await observador.esperar(de_tipo(DistintivoOtorgado, convenio_id=f"ALVA-GTO-IMSS-{dos}"), 90)
        await enviar(productor, escenario.reporte(escenario.OTORGANTE, ReporteConvenioCancelado(
            convenio_id=f"ALVA-GTO-IMSS-{dos}", motivo="La institución dejó de cumplir", fecha=hoy)))
        await observador.esperar(de_tipo(DistintivoRevocado, convenio_id=f"ALVA-GTO-IMSS-{dos}"), 60)
        # Lo malo: no es JSON (a la DLQ), un id reusado con otro contenido, una fecha fuera de la vigencia.
        await productor.send_and_wait(topico_ingreso(escenario.IMSS), b"{esto no es json",
                                      headers=[("content-type", b"application/cloudevents+json")])
        sesion = escenario.sesiones(unico("tres"), hoy)[0]
        await enviar(productor, sesion)
        otra = sesion.evento.model_copy(update={"data": {**sesion.evento.data, "horas": 7}})
        await enviar(productor, escenario.Reporte(sesion.topico, otra))
        fuera = escenario.reporte(escenario.IMSS, ReporteSesionCompletada(
            sesion_id=unico("fuera"), convenio_id=f"ALVA-GTO-IMSS-{uno}", tema="Fuera de vigencia",
            modalidad="virtual", fecha=hoy + timedelta(days=400), horas=2, facilitador="PRODHEG", asistentes=["x-1"]))
        await enviar(productor, fuera)
        await observador.esperar(rechazo_de(fuera), 60)
    finally:
        await observador.cerrar()
        await productor.stop()


async def test_cada_servicio_se_reconstruye_igual_y_no_publica_dos_veces(mundo, buzon):
    async with AsyncExitStack() as pila:
        await _arrancar(pila, mundo, buzon.puerto)
        await _historia(mundo, buzon)
        await _quieto(mundo)
    finales_antes = await _quieto(mundo)

    operador = mundo.conexion("alva-operador").aiokafka()
    for nombre in SERVICIOS:
        servicio = FABRICAS[nombre][0](mundo.ajustes(nombre, buzon.puerto))
        informe = await reconstruir(servicio, operador, avisar=lambda _: None)
        assert informe.eventos > 0, nombre
        diferentes = {t: cifras for t, cifras in informe.tablas.items() if cifras[2]}
        assert not diferentes, f"{nombre}: (antes, ahora, diferentes) {diferentes}"
        assert any(antes > 0 for antes, _, _ in informe.tablas.values()), nombre

    # Los reconstruidos arrancan donde quedaron sus grupos: nada nuevo sale a ningún tópico.
    async with AsyncExitStack() as pila:
        await _arrancar(pila, mundo, buzon.puerto)
        finales_despues = await _quieto(mundo)
    assert finales_despues == finales_antes
