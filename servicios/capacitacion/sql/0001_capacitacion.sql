-- Copia propia de lo que capacitación necesita saber de cada convenio (aprendido de alva.convenios).
CREATE TABLE convenios (
    convenio_id     text PRIMARY KEY,
    institucion     text NOT NULL,
    vigencia_inicio date NOT NULL,
    vigencia_fin    date NOT NULL,
    estado          text NOT NULL DEFAULT 'vigente'
);

CREATE TABLE sesiones (
    institucion text NOT NULL,
    sesion_id   text NOT NULL,
    convenio_id text NOT NULL,
    estado      text NOT NULL,
    huella      text NOT NULL,
    contenido   jsonb NOT NULL,
    PRIMARY KEY (institucion, sesion_id)
);

CREATE TABLE constancias (
    constancia_id text PRIMARY KEY,
    institucion   text NOT NULL,
    sesion_id     text NOT NULL,
    asistente     text NOT NULL
);
