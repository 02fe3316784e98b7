-- Las horas de lo registrado vienen de la causa (la hora del broker del evento), no del reloj.
ALTER TABLE contactos ALTER COLUMN registrado_en DROP DEFAULT;
ALTER TABLE entregas ALTER COLUMN creada_en DROP DEFAULT;

-- Los rechazos de los reportes de cada institución esperan aquí al resumen del periodo: un correo por
-- institución y periodo, por muchos que sean.
CREATE TABLE rechazos_por_resumir (
    evento_id   text PRIMARY KEY,
    institucion text NOT NULL,
    datos       jsonb NOT NULL,
    causa       jsonb NOT NULL,
    recibido    timestamptz NOT NULL
);
CREATE INDEX rechazos_por_resumir_institucion ON rechazos_por_resumir (institucion, recibido);
