"""Servicio de convenios: convenios, objetivos, su avance y la evidencia."""
