"""La carga: reportes como los envía una institución, y los hechos tal como los publica cada servicio."""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from alva import escenario
from esquemas import CloudEvent, topico_de
from esquemas.capacitacion import ConstanciaEmitida, SesionCompletada
from esquemas.comun import Contacto, Evento, Firmante, Institucion, Objetivo, Vigencia
from esquemas.convenios import ConvenioFirmado, ObjetivoAvanzado, ObjetivoCumplido
from esquemas.distintivos import DistintivoOtorgado
from esquemas.ingreso import ReporteConvenioFirmado, ReporteSesionCompletada
from esquemas.rechazos import EntradaRechazada
from plataforma.nube import CABECERAS_REPORTE, armar, cabeceras_de, id_de_hecho

ASISTENTES = 3
TEMA = "Prevención de la violencia laboral"  # cuenta para el requisito de tema del programa ALVA


@dataclass(frozen=True)
class Mensaje:
    """Un evento listo para Kafka: tópico, llave, bytes y cabeceras, ya serializados (`evento` es None en una copia
    hecha sobre los bytes de otro)."""

    topico: str
    evento: CloudEvent | None
    valor: bytes
    cabeceras: list[tuple[str, bytes]]
    llave: bytes

    @property
    def id(self) -> str:
        return str(self.evento.id)


def mensaje(topico: str, evento: CloudEvent) -> Mensaje:
    return Mensaje(topico, evento, evento.a_json(), list(cabeceras_de(evento.type)), evento.llave)


def de_reporte(reporte: escenario.Reporte) -> Mensaje:
    """Como lo envía el sistema de una institución: sólo el content-type (ni cabeceras `ce_*` ni de ruteo)."""
    return Mensaje(reporte.topico, reporte.evento, reporte.evento.a_json(), list(CABECERAS_REPORTE),
                   reporte.evento.llave)


def hecho(datos: Evento, *, servicio: str, institucion: str, subject: str, causa: CloudEvent,
          ordinal: int = 0) -> Mensaje:
    """Como lo publica `servicio` a través de su outbox: id derivado de la causa (y del ordinal, cuando una causa da
    más de un hecho del mismo tipo y subject), la hora de la causa."""
    sobre = armar(datos.tipo, datos.model_dump(mode="json"), id_=id_de_hecho(causa.id, datos.tipo, subject, ordinal),
                  institucion=institucion, servicio=servicio, cuando=causa.time, subject=subject,
                  correlacion=causa.correlationid or causa.id, causa=causa.id)
    return mensaje(topico_de(datos), CloudEvent.model_validate(sobre))


@dataclass(frozen=True)
class Convenio:
    """Un convenio del banco: se cumple (y se otorga su distintivo) con su reporte número `reportes`."""

    institucion: str
    convenio_id: str
    reportes: int
    hoy: date

    def objetivos(self) -> list[Objetivo]:
        return [Objetivo(objetivo_id="personas", descripcion="Capacitar al personal", indicador="personas_capacitadas",
                         meta=ASISTENTES * self.reportes),
                Objetivo(objetivo_id="sesiones", descripcion="Impartir sesiones", indicador="sesiones_impartidas",
                         meta=self.reportes)]

    def reporte(self) -> Mensaje:
        """`convenio.firmado` que el otorgante envía por su tópico de ingreso."""
        i = self.institucion
        return de_reporte(escenario.reporte(escenario.OTORGANTE, ReporteConvenioFirmado(
            convenio_id=self.convenio_id, programa="ALVA", otorgante=escenario.OTORGANTE,
            institucion=Institucion(id=i, nombre=f"Institución {i}", tipo="municipio"),
            firmantes=[Firmante(nombre="Karla Gabriela Alcaraz Olvera", cargo="Procuradora",
                                institucion=escenario.OTORGANTE)],
            fecha_firma=self.hoy - timedelta(days=1),
            vigencia=Vigencia(inicio=self.hoy - timedelta(days=1), fin=self.hoy + timedelta(days=365)),
            objetivos=self.objetivos(),
            contactos=[Contacto(nombre="Enlace de igualdad", email=f"enlace@{i}.example"),
                       Contacto(nombre="Sistemas", email=f"sistemas@{i}.example", rol="tecnico")])))

    def firmado(self, reporte: Mensaje) -> Mensaje:
        """El `convenio.firmado` que publica convenios al registrar `reporte`."""
        datos = ReporteConvenioFirmado.model_validate(reporte.evento.data)
        return hecho(ConvenioFirmado(**datos.model_dump()), servicio="convenios", institucion=self.institucion,
                     subject=self.convenio_id, causa=reporte.evento)

    def sesion(self, sesion_id: str) -> Mensaje:
        """Un `sesion.completada` de la institución, con tres asistentes que no se repiten (≈ 594 bytes)."""
        return de_reporte(escenario.reporte(self.institucion, ReporteSesionCompletada(
            sesion_id=sesion_id, convenio_id=self.convenio_id, tema=TEMA, modalidad="presencial", fecha=self.hoy,
            horas=2, facilitador="PRODHEG", asistentes=[f"{sesion_id}.{a}" for a in range(ASISTENTES)])))

    def avances(self, sesion: Mensaje, n: int) -> list[Mensaje]:
        """Lo que publica convenios al contar la sesión número `n`: el avance de cada objetivo y, al final, que se
        cumplió. Como en el servicio, los hechos del mismo tipo de una misma causa llevan ordinales 0, 1…"""
        mensajes, ordinales = [], Counter()
        for objetivo in self.objetivos():
            valor = float(n * ASISTENTES if objetivo.indicador == "personas_capacitadas" else n)
            comun = dict(convenio_id=self.convenio_id, objetivo_id=objetivo.objetivo_id, indicador=objetivo.indicador,
                         valor=valor, meta=objetivo.meta)
            datos = [ObjetivoAvanzado(**comun, cumplido=valor >= objetivo.meta)]
            if valor >= objetivo.meta > valor - (ASISTENTES if objetivo.indicador == "personas_capacitadas" else 1):
                datos.append(ObjetivoCumplido(**comun, fecha=self.hoy))
            for d in datos:
                mensajes.append(hecho(d, servicio="convenios", institucion=self.institucion, subject=self.convenio_id,
                                      causa=sesion.evento, ordinal=ordinales[d.tipo]))
                ordinales[d.tipo] += 1
        return mensajes

    def cumplido(self, causa: Mensaje) -> Mensaje:
        """Un `objetivo.cumplido` como el que publica convenios."""
        objetivo = self.objetivos()[0]
        return hecho(ObjetivoCumplido(convenio_id=self.convenio_id, objetivo_id=objetivo.objetivo_id,
                                      indicador=objetivo.indicador, valor=objetivo.meta, meta=objetivo.meta,
                                      fecha=self.hoy),
                     servicio="convenios", institucion=self.institucion, subject=self.convenio_id, causa=causa.evento)

    def otorgado(self, causa: Mensaje) -> Mensaje:
        """Un `distintivo.otorgado` (sin credencial) como el que publica distintivos."""
        periodo = f"{self.hoy - timedelta(days=1)}/{self.hoy + timedelta(days=365)}"
        return hecho(DistintivoOtorgado(
            distintivo_id=str(uuid.uuid4()), programa="ALVA", otorgante=escenario.OTORGANTE,
            institucion=self.institucion, institucion_nombre=f"Institución {self.institucion}",
            convenio_id=self.convenio_id, periodo=periodo, fecha=self.hoy,
            vigencia=Vigencia(inicio=self.hoy, fin=self.hoy + timedelta(days=365)), criterios=["Objetivos cumplidos"]),
            servicio="distintivos", institucion=self.institucion, subject=self.convenio_id, causa=causa.evento)


def de_capacitacion(reporte: Mensaje) -> list[Mensaje]:
    """Lo que publica capacitación por un `sesion.completada`: la sesión y una constancia por asistente."""
    datos = ReporteSesionCompletada.model_validate(reporte.evento.data)
    institucion, causa = reporte.evento.institucion, reporte.evento
    sesion = hecho(SesionCompletada(**datos.model_dump(), institucion=institucion), servicio="capacitacion",
                   institucion=institucion, subject=datos.sesion_id, causa=causa)
    constancias = [hecho(ConstanciaEmitida(
        constancia_id=f"{datos.sesion_id}/{a}", sesion_id=datos.sesion_id, convenio_id=datos.convenio_id,
        institucion=institucion, asistente=a, tema=datos.tema, fecha=datos.fecha, horas=datos.horas),
        servicio="capacitacion", institucion=institucion, subject=f"{datos.sesion_id}/{a}", causa=causa)
        for a in datos.asistentes]
    return [sesion, *constancias]


def rechazo(reporte: Mensaje, offset: int) -> Mensaje:
    """Un `entrada.rechazada` de un reporte de la institución, como lo publica el servicio que lo rechaza."""
    datos = EntradaRechazada(entrada_id=reporte.id, entrada_tipo=reporte.evento.type, topico=reporte.topico,
                             particion=0, offset=offset, codigo="fecha_fuera_de_vigencia",
                             motivo="La sesión cae fuera de la vigencia del convenio.", campo="data.fecha",
                             servicio="capacitacion")
    return hecho(datos, servicio="capacitacion", institucion=reporte.evento.institucion, subject=reporte.topico,
                 causa=reporte.evento)


def convenios(prefijo: str, instituciones: list[str], cuantos: int, reportes: int, hoy: date) -> list[Convenio]:
    """`cuantos` convenios repartidos entre las instituciones, cada uno cumplido con `reportes` reportes."""
    return [Convenio(instituciones[k % len(instituciones)], f"{prefijo}-{k}", reportes, hoy) for k in range(cuantos)]


def sesiones(convenios_: list[Convenio], n: int, etiqueta: str) -> list[Mensaje]:
    """`n` reportes de sesión, por turnos entre los convenios; `etiqueta` los distingue de los de otras corridas (las
    instituciones son las mismas en cada corrida, y un id de sesión es único en su institución)."""
    return [convenios_[k % len(convenios_)].sesion(f"S-{etiqueta}-{k}") for k in range(n)]
