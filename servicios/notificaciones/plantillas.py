"""Mensajes en español (es-MX), texto y HTML, desde plantillas Jinja2: una por clase de aviso."""

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

_entorno = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "plantillas"),
    autoescape=select_autoescape(["html.j2"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)

ASUNTOS = {
    "convenio_firmado": "Convenio {{ d.convenio_id }} registrado en el programa {{ d.programa }}",
    "objetivo_cumplido": "Objetivo cumplido: {{ d.objetivo_id }} (convenio {{ d.convenio_id }})",
    "evidencia_rechazada": "Evidencia no aprobada: {{ d.evidencia_id }} (convenio {{ d.convenio_id }})",
    "distintivo_otorgado": "{{ d.otorgante|upper }} otorga el Distintivo {{ d.programa }} a {{ d.institucion_nombre }}",
    "distintivo_por_vencer": "Su Distintivo {{ d.programa }} vence en {{ dias }} día{{ 's' if dias != 1 }}",
    "distintivo_vencido": "Venció el distintivo {{ d.distintivo_id }} (convenio {{ d.convenio_id }})",
    "distintivo_revocado": "Distintivo revocado: {{ d.distintivo_id }} (convenio {{ d.convenio_id }})",
    "rechazo": "Reporte no aceptado ({{ d.codigo }}): qué corregir",
}


@dataclass(frozen=True)
class Mensaje:
    asunto: str
    texto: str
    html: str


def redactar(aviso: str, datos: dict, **extra) -> Mensaje:
    """El aviso con los datos del evento (`d`) y lo que la plantilla necesite además (p. ej. `dias`)."""
    contexto = {"d": datos, **extra}
    return Mensaje(
        asunto=_entorno.from_string(ASUNTOS[aviso]).render(contexto),
        texto=_entorno.get_template(f"{aviso}.txt.j2").render(contexto),
        html=_entorno.get_template(f"{aviso}.html.j2").render(contexto),
    )
