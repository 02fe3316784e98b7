"""Herramientas de quien usa ALVA: la demostración y, después, la línea de comandos."""
