"""Arranca el servicio de capacitación."""

from plataforma.arranque import correr
from servicios.capacitacion.app import crear_servicio

correr(crear_servicio)
