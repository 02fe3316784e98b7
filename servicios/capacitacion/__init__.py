"""Servicio de capacitación: sesiones, asistencia y constancias."""
