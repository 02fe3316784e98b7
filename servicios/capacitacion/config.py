"""Ajustes del servicio de capacitación."""

from plataforma.config import Ajustes


class AjustesCapacitacion(Ajustes):
    pass
