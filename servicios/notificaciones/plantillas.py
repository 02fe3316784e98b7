"""Mensajes en español (es-MX), texto y HTML, desde plantillas Jinja2."""

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from esquemas.comun import Evento
from esquemas.convenios import ConvenioFirmado
from esquemas.distintivos import DistintivoOtorgado

_entorno = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "plantillas"),
    autoescape=select_autoescape(["html.j2"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)

ASUNTOS = {
    ConvenioFirmado: ("convenio_firmado", "Convenio {{ d.convenio_id }} registrado en el programa {{ d.programa }}"),
    DistintivoOtorgado: ("distintivo_otorgado",
                         "{{ d.otorgante|upper }} otorga el Distintivo {{ d.programa }} a {{ d.institucion_nombre }}"),
}


@dataclass(frozen=True)
class Mensaje:
    asunto: str
    texto: str
    html: str


def redactar(datos: Evento) -> Mensaje:
    plantilla, asunto = ASUNTOS[type(datos)]
    return Mensaje(
        asunto=_entorno.from_string(asunto).render(d=datos),
        texto=_entorno.get_template(f"{plantilla}.txt.j2").render(d=datos),
        html=_entorno.get_template(f"{plantilla}.html.j2").render(d=datos),
    )
