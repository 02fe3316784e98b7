"""Entorno local de ALVA: Kafka, PostgreSQL y buzón SMTP embebidos en loopback."""
