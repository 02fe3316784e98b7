"""Arranca el servicio de distintivos."""

from plataforma.arranque import correr
from servicios.distintivos.app import crear_servicio

correr(crear_servicio)
