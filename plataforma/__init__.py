"""Lo que los cuatro servicios necesitan igual: ajustes, CloudEvents, inbox, outbox y su relay, rechazos, migraciones."""
