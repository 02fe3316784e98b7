"""Servicio de distintivos: el evaluador que decide, solo, cuándo se otorga un distintivo."""
