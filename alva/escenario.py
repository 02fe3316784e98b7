"""El escenario de los textos de origen: PRODHEG y el IMSS Guanajuato firman el convenio ALVA y el IMSS capacita."""

from dataclasses import dataclass
from datetime import date, timedelta

from esquemas import CloudEvent
from esquemas.comun import Contacto, Firmante, Institucion, Objetivo, Vigencia
from esquemas.ingreso import ReporteConvenioFirmado, ReporteSesionCompletada, topico_ingreso
from plataforma.nube import CABECERAS_REPORTE, nuevo_reporte

OTORGANTE = "prodheg"
IMSS = "imss-guanajuato"
CORREO_IMSS = "igualdad.guanajuato@imss.example"

# Cursos que el IMSS impartió a su personal (boletín 516/2019) y quién asiste a cada uno (ids seudónimos).
SESIONES = [
    ("Cero tolerancia al hostigamiento y acoso sexual", "presencial", 3, ["emp-001", "emp-002", "emp-003", "emp-004"]),
    ("Herramientas para la Igualdad", "virtual", 2, ["emp-003", "emp-004", "emp-005", "emp-006", "emp-007"]),
    ("Acciones de sensibilización para prevenir la violencia", "presencial", 2,
     ["emp-006", "emp-007", "emp-008", "emp-009", "emp-010", "emp-011"]),
]


@dataclass(frozen=True)
class Reporte:
    topico: str
    evento: CloudEvent

    async def enviar(self, productor, valor: bytes | None = None) -> None:
        """Como lo envía el sistema de una institución: CloudEvent estructurado, llave = la institución."""
        await productor.send_and_wait(self.topico, valor if valor is not None else self.evento.a_json(),
                                      key=self.evento.llave, headers=list(CABECERAS_REPORTE))


def convenio(corrida: str, hoy: date) -> Reporte:
    datos = ReporteConvenioFirmado(
        convenio_id=f"ALVA-GTO-IMSS-{corrida}",
        programa="ALVA",
        otorgante=OTORGANTE,
        institucion=Institucion(id=IMSS, nombre="Delegación Guanajuato del IMSS", tipo="dependencia_federal"),
        firmantes=[
            Firmante(nombre="Karla Gabriela Alcaraz Olvera", cargo="Procuradora de los Derechos Humanos del Estado de Guanajuato", institucion=OTORGANTE),
            Firmante(nombre="Marco Antonio Hernández Carrillo", cargo="Delegado Estatal del IMSS en Guanajuato", institucion=IMSS),
        ],
        fecha_firma=hoy,
        vigencia=Vigencia(inicio=hoy, fin=hoy + timedelta(days=365)),
        objetivos=[
            Objetivo(objetivo_id="capacitar-personal", descripcion="Sensibilizar y capacitar a 10 personas del IMSS",
                     indicador="personas_capacitadas", meta=10),
            Objetivo(objetivo_id="sesiones-capacitacion", descripcion="Impartir 3 sesiones de capacitación",
                     indicador="sesiones_impartidas", meta=3),
        ],
        contactos=[Contacto(nombre="Coordinación de Igualdad y Género, IMSS Guanajuato", email=CORREO_IMSS)],
    )
    return reporte(OTORGANTE, datos)


def sesiones(corrida: str, hoy: date) -> list[Reporte]:
    return [
        reporte(IMSS, ReporteSesionCompletada(
            sesion_id=f"IMSS-GTO-{corrida}-S{n}", convenio_id=f"ALVA-GTO-IMSS-{corrida}", tema=tema,
            modalidad=modalidad, fecha=hoy, horas=horas, facilitador="PRODHEG, Dirección de Capacitación",
            asistentes=asistentes,
        ))
        for n, (tema, modalidad, horas, asistentes) in enumerate(SESIONES, start=1)
    ]


def reporte(institucion: str, datos) -> Reporte:
    """Un reporte como lo enviaría el sistema de la institución, listo para su tópico de ingreso."""
    evento = nuevo_reporte(datos, institucion=institucion)
    return Reporte(topico_ingreso(institucion), evento)


async def enviar_como_cada_una(ajustes, reportes: list[Reporte]) -> None:
    """Cada reporte con el usuario de Kafka de su institución (como lo haría su propio sistema), en orden."""
    from aiokafka import AIOKafkaProducer

    productores: dict[str, AIOKafkaProducer] = {}
    try:
        for r in reportes:
            institucion = r.evento.institucion
            if institucion not in productores:
                productores[institucion] = AIOKafkaProducer(
                    **ajustes.conexion_kafka(f"institucion-{institucion}").aiokafka(), acks="all",
                    enable_idempotence=True)
                await productores[institucion].start()
            await r.enviar(productores[institucion])
    finally:
        for p in productores.values():
            await p.stop()
