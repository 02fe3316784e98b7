"""Un reporte de ejemplo, completo y válido, por cada tipo que una institución (o el otorgante) puede enviar."""

from datetime import UTC, date, datetime
from uuid import UUID

from esquemas.catalogo import TIPOS
from esquemas.comun import Contacto, Evento, Firmante, Institucion, Objetivo, Vigencia
from esquemas.ingreso import (
    ReporteActividad,
    ReporteConvenioCancelado,
    ReporteConvenioFirmado,
    ReporteConvenioModificado,
    ReporteDistintivoRevocado,
    ReporteEvidenciaEnviada,
    ReporteEvidenciaRevisada,
    ReporteSesionCancelada,
    ReporteSesionCompletada,
    ReporteSesionCorregida,
    ReporteSesionProgramada,
)
from esquemas.sobre import CloudEvent

CONVENIO = "ALVA-GTO-IMSS-2025"
IMSS, PRODHEG = "imss-guanajuato", "prodheg"
OBJETIVOS = [
    Objetivo(objetivo_id="capacitar-personal", descripcion="Sensibilizar y capacitar a 300 personas del IMSS",
             indicador="personas_capacitadas", meta=300),
    Objetivo(objetivo_id="horas-presenciales", descripcion="40 horas de capacitación presencial",
             indicador="horas_capacitacion", meta=40, modalidad="presencial"),
    Objetivo(objetivo_id="campanas", descripcion="Sumarse cada mes a la campaña ÚNETE (Día Naranja)",
             indicador="campanas_realizadas", meta=12),
    Objetivo(objetivo_id="difusion", descripcion="Difundir los servicios de atención a mujeres víctimas de violencia",
             indicador="difusion_servicios", meta=1),
    Objetivo(objetivo_id="cooperacion", descripcion="Crear mecanismos de cooperación PRODHEG-IMSS",
             indicador="mecanismo_cooperacion", meta=1),
]
SESION = dict(sesion_id="IMSS-GTO-2025-017", convenio_id=CONVENIO,
              tema="Cero tolerancia al hostigamiento y acoso sexual", modalidad="presencial",
              fecha=date(2025, 11, 20), horas=3, facilitador="PRODHEG, Dirección de Capacitación")

REPORTES: list[tuple[str, Evento]] = [
    (PRODHEG, ReporteConvenioFirmado(
        convenio_id=CONVENIO, programa="ALVA", otorgante=PRODHEG,
        institucion=Institucion(id=IMSS, nombre="Delegación Guanajuato del IMSS", tipo="dependencia_federal"),
        firmantes=[
            Firmante(nombre="Karla Gabriela Alcaraz Olvera",
                     cargo="Procuradora de los Derechos Humanos del Estado de Guanajuato", institucion=PRODHEG),
            Firmante(nombre="Marco Antonio Hernández Carrillo", cargo="Delegado Estatal del IMSS en Guanajuato",
                     institucion=IMSS),
        ],
        fecha_firma=date(2025, 11, 4), vigencia=Vigencia(inicio=date(2025, 11, 4), fin=date(2026, 11, 3)),
        objetivos=OBJETIVOS,
        contactos=[Contacto(nombre="Coordinación de Igualdad y Género", email="igualdad.guanajuato@imss.example"),
                   Contacto(nombre="Sistemas de la Delegación", email="sistemas.guanajuato@imss.example",
                            rol="tecnico")],
    )),
    (PRODHEG, ReporteConvenioModificado(
        convenio_id=CONVENIO, objetivos=[*OBJETIVOS, Objetivo(
            objetivo_id="protocolo", descripcion="Actualizar el protocolo contra el hostigamiento y acoso sexual",
            indicador="protocolo_actualizado", meta=1)],
        motivo="Adenda: se agrega la actualización del protocolo")),
    (PRODHEG, ReporteConvenioCancelado(convenio_id=CONVENIO, motivo="Terminación anticipada de común acuerdo",
                                       fecha=date(2026, 6, 30))),
    (IMSS, ReporteSesionProgramada(**SESION)),
    (IMSS, ReporteSesionCompletada(**SESION, asistentes=["emp-00417", "emp-00988", "emp-01203"])),
    (IMSS, ReporteSesionCorregida(**SESION, asistentes=["emp-00417", "emp-00988", "emp-01203", "emp-01544"],
                                  motivo="Faltaba una asistente en la lista")),
    (IMSS, ReporteSesionCancelada(sesion_id="IMSS-GTO-2025-018", convenio_id=CONVENIO,
                                  motivo="Se suspendió por contingencia")),
    (IMSS, ReporteActividad(actividad_id="UNETE-2025-11", convenio_id=CONVENIO, indicador="campanas_realizadas",
                            cantidad=1, fecha=date(2025, 11, 25), tema="Día Naranja",
                            descripcion="Campaña ÚNETE: prendas naranjas e iluminación de edificios")),
    (IMSS, ReporteEvidenciaEnviada(
        evidencia_id="EV-DIFUSION-01", convenio_id=CONVENIO, objetivo_id="difusion",
        descripcion="Carteles y cápsulas sobre los servicios de atención, en 12 unidades médicas",
        documento="sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae")),
    (PRODHEG, ReporteEvidenciaRevisada(evidencia_id="EV-DIFUSION-01", convenio_id=CONVENIO, objetivo_id="difusion",
                                       dictamen="rechazada", motivo="Falta la lista de unidades médicas con fechas")),
    (PRODHEG, ReporteDistintivoRevocado(distintivo_id="8a6f2f4e-1f7a-5b8e-9c61-2d4b7e0f3a19",
                                        motivo="Se acreditó un incumplimiento grave del convenio")),
]


def ejemplos() -> dict[str, CloudEvent]:
    """`type` → CloudEvent completo, con ids y horas fijos para que el archivo no cambie en cada exportación."""
    salida = {}
    for n, (institucion, datos) in enumerate(REPORTES, start=1):
        tipo = TIPOS[datos.tipo]
        salida[tipo.nombre] = CloudEvent(
            specversion="1.0", id=str(UUID(int=0x5A1_0000 + n)), source=f"/instituciones/{institucion}/sistema", type=tipo.nombre,
            time=datetime(2025, 11, 20, 18, 0, n, tzinfo=UTC), dataschema=tipo.dataschema,
            data=datos.model_dump(mode="json", exclude_none=True), institucion=institucion)
    return salida
