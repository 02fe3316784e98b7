"""Hechos que publica el servicio de convenios en `alva.convenios`."""

from datetime import date

from pydantic import Field

from esquemas.comun import Contacto, Evento, Firmante, Identificador, Indicador, Institucion, Objetivo, Slug, Vigencia

TOPICO = "alva.convenios"


class ConvenioFirmado(Evento):
    """Un convenio quedó registrado: partes, firmantes, vigencia y objetivos."""

    tipo = "mx.alva.convenios.convenio.firmado.v1"

    convenio_id: Identificador
    programa: str = Field(examples=["ALVA"])
    otorgante: Slug
    institucion: Institucion
    firmantes: list[Firmante]
    fecha_firma: date
    vigencia: Vigencia
    objetivos: list[Objetivo]
    contactos: list[Contacto] = Field(default_factory=list)
    version: int = Field(default=1, ge=1)


class ConvenioModificado(Evento):
    """Los objetivos de un convenio cambiaron; cada versión se conserva."""

    tipo = "mx.alva.convenios.convenio.modificado.v1"

    convenio_id: Identificador
    version: int = Field(ge=2)
    objetivos: list[Objetivo]
    motivo: str


class ConvenioCancelado(Evento):
    """El convenio se canceló (con motivo) o venció."""

    tipo = "mx.alva.convenios.convenio.cancelado.v1"

    convenio_id: Identificador
    motivo: str
    fecha: date
    por_vencimiento: bool = Field(default=False, description="Verdadero si terminó su vigencia, sin que nadie lo cancelara.")


class EvidenciaRecibida(Evento):
    """La institución entregó evidencia de un objetivo; espera revisión del otorgante."""

    tipo = "mx.alva.convenios.evidencia.recibida.v1"

    convenio_id: Identificador
    objetivo_id: Identificador
    evidencia_id: Identificador
    descripcion: str
    documento: str = Field(description="Referencia o hash del documento; nunca el documento.")


class EvidenciaRechazada(Evento):
    """El otorgante rechazó una evidencia; la institución puede enviar otra."""

    tipo = "mx.alva.convenios.evidencia.rechazada.v1"

    convenio_id: Identificador
    objetivo_id: Identificador
    evidencia_id: Identificador
    motivo: str


class ObjetivoAvanzado(Evento):
    """El valor de un objetivo cambió (también hacia abajo, tras una corrección)."""

    tipo = "mx.alva.convenios.objetivo.avanzado.v1"

    convenio_id: Identificador
    objetivo_id: Identificador
    indicador: Indicador
    valor: float = Field(examples=[2])
    meta: float = Field(examples=[3])
    cumplido: bool = Field(default=False, description="Si, con este valor, el objetivo está cumplido.")


class ObjetivoCumplido(Evento):
    """Un objetivo alcanzó su meta; una vez por cada vez que la alcanza, nunca por reentregas."""

    tipo = "mx.alva.convenios.objetivo.cumplido.v1"

    convenio_id: Identificador
    objetivo_id: Identificador
    indicador: Indicador
    valor: float
    meta: float
    fecha: date


class ObjetivoRevertido(Evento):
    """Un objetivo ya cumplido quedó debajo de su meta por una corrección; el evaluador decide qué significa."""

    tipo = "mx.alva.convenios.objetivo.revertido.v1"

    convenio_id: Identificador
    objetivo_id: Identificador
    indicador: Indicador
    valor: float
    meta: float
    motivo: str = Field(examples=["Sesión IMSS-S3 cancelada"])
