-- Las personas distintas y los hechos de cada convenio, sin llave foránea: se escriben por cada sesión (cuatro filas
-- por reporte), y cada fila hacía que PostgreSQL buscara y bloqueara su convenio (`SELECT ... FOR KEY SHARE`, un
-- disparador por fila). El servicio sólo las escribe para un convenio que ya cargó en el mismo lote, y nunca borra
-- convenios; las demás tablas conservan las suyas.
ALTER TABLE conteos DROP CONSTRAINT IF EXISTS conteos_convenio_id_fkey;
ALTER TABLE hechos DROP CONSTRAINT IF EXISTS hechos_convenio_id_fkey;
