"""Arranca el servicio de convenios."""

from plataforma.arranque import correr
from servicios.convenios.app import crear_servicio

correr(crear_servicio)
