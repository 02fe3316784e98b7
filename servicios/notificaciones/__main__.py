"""Arranca el servicio de notificaciones."""

from plataforma.arranque import correr
from servicios.notificaciones.app import crear_servicio

correr(crear_servicio)
