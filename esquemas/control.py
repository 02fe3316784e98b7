"""Control de la plataforma en `alva.control`: lo escribe sólo el alta de instituciones; los servicios lo siguen."""

from pydantic import Field

from esquemas.comun import Evento, Slug

TOPICO = "alva.control"


class InstitucionDadaDeAlta(Evento):
    """Una institución quedó dada de alta: su tópico de ingreso existe y los servicios deben escucharlo."""

    tipo = "mx.alva.control.institucion.dada_de_alta.v1"

    institucion: Slug
    topico: str = Field(examples=["alva.ingreso.penjamo"])
