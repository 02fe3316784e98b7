"""Mensajes en español (es-MX), texto y HTML, desde plantillas Jinja2: una por clase de aviso."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

_ENLACE = re.compile(r"(?i)[a-z][a-z0-9+.-]*://|\bwww\.|@")
_DOMINIO = re.compile(r"(?i)\b(?:[a-z0-9-]+\.)+(?:com|net|org|info|biz|xyz|app|dev|io|gob|gov|edu|online|site|top|club|"
                      r"shop|link|click|live|me|co|[a-z]{2})\b")


def sin_enlaces(texto) -> str:
    """Lo que viene de afuera no llega como enlace a nadie: `https://x.mx` → `https[://]x[.]mx`, `a@b` → `a[@]b`."""
    texto = _DOMINIO.sub(lambda m: m.group(0).replace(".", "[.]"), str(texto))
    return _ENLACE.sub(lambda m: f"[{m.group(0)}]", texto)


_entorno = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "plantillas"),
    autoescape=select_autoescape(["html.j2"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
_entorno.filters["sin_enlaces"] = sin_enlaces

ASUNTOS = {
    "convenio_firmado": "Convenio {{ d.convenio_id }} registrado en el programa {{ d.programa }}",
    "objetivo_cumplido": "Objetivo cumplido: {{ d.objetivo_id }} (convenio {{ d.convenio_id }})",
    "evidencia_rechazada": "Evidencia no aprobada: {{ d.evidencia_id }} (convenio {{ d.convenio_id }})",
    "distintivo_otorgado": "{{ d.otorgante|upper }} otorga el Distintivo {{ d.programa }} a {{ d.institucion_nombre }}",
    "distintivo_por_vencer": "Su Distintivo {{ d.programa }} vence en {{ dias }} día{{ 's' if dias != 1 }}",
    "distintivo_vencido": "Venció el distintivo {{ d.distintivo_id }} (convenio {{ d.convenio_id }})",
    "distintivo_revocado": "Distintivo revocado: {{ d.distintivo_id }} (convenio {{ d.convenio_id }})",
    "rechazo": "{% if d.rechazos is defined %}{{ d.total }} reporte{{ 's' if d.total != 1 }} no aceptado{{ 's' if d.total != 1 }}: qué corregir{% else %}Reporte no aceptado ({{ d.codigo|sin_enlaces }}): qué corregir{% endif %}",
}


@cache
def _asunto(aviso: str) -> Template:
    """Compilada una vez: compilar una plantilla cuesta más que usarla."""
    return _entorno.from_string(ASUNTOS[aviso])


@dataclass(frozen=True)
class Mensaje:
    asunto: str
    texto: str
    html: str


def redactar(aviso: str, datos: dict, **extra) -> Mensaje:
    """El aviso con los datos del evento (`d`) y lo que la plantilla necesite además (p. ej. `dias`)."""
    contexto = {"d": datos, **extra}
    return Mensaje(
        asunto=_asunto(aviso).render(contexto),
        texto=_entorno.get_template(f"{aviso}.txt.j2").render(contexto),
        html=_entorno.get_template(f"{aviso}.html.j2").render(contexto),
    )
