"""Servicio de notificaciones: destinatarios, plantillas y entregas por correo."""
