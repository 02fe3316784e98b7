-- El avance se lleva por diferencias: cada objetivo guarda su valor y, para lo que varios hechos comparten (una
-- persona en varias sesiones), cuántos hechos lo aportan, por objetivo. Ya no se suma la historia en cada evento.
DROP TABLE unidades;
CREATE TABLE conteos (
    convenio_id text NOT NULL REFERENCES convenios,
    unidad      text NOT NULL,
    referencias jsonb NOT NULL,
    PRIMARY KEY (convenio_id, unidad)
);
ALTER TABLE convenios ALTER COLUMN registrado_en DROP DEFAULT;
ALTER TABLE versiones ALTER COLUMN registrada_en DROP DEFAULT;
