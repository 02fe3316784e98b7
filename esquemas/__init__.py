"""Contratos de mensajes de ALVA: el sobre CloudEvents, los modelos de cada evento y sus tópicos."""

from esquemas.catalogo import TIPOS, Tipo, tipo_de, topico_de
from esquemas.sobre import CONTENT_TYPE, CloudEvent

__all__ = ["CONTENT_TYPE", "TIPOS", "CloudEvent", "Tipo", "tipo_de", "topico_de"]
