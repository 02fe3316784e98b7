ALTER TABLE objetivos ADD COLUMN descripcion text NOT NULL DEFAULT '';
ALTER TABLE objetivos ADD COLUMN cumplido boolean NOT NULL DEFAULT false;

-- Cada versión de los objetivos de un convenio; la 1 es la firmada.
CREATE TABLE versiones (
    convenio_id   text NOT NULL REFERENCES convenios,
    version       int  NOT NULL,
    objetivos     jsonb NOT NULL,
    motivo        text NOT NULL,
    registrada_en timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (convenio_id, version)
);

-- Lo que cuenta para el avance (una sesión, una actividad, una evidencia aprobada), con su contenido:
-- al cambiar los objetivos, el avance se recalcula desde aquí.
CREATE TABLE hechos (
    convenio_id text NOT NULL REFERENCES convenios,
    origen      text NOT NULL,
    clase       text NOT NULL,
    contenido   jsonb NOT NULL,
    huella      text NOT NULL,
    PRIMARY KEY (convenio_id, origen)
);

CREATE TABLE evidencias (
    convenio_id  text NOT NULL REFERENCES convenios,
    evidencia_id text NOT NULL,
    objetivo_id  text NOT NULL,
    descripcion  text NOT NULL,
    documento    text NOT NULL,
    estado       text NOT NULL DEFAULT 'recibida',
    motivo       text,
    huella       text NOT NULL,
    PRIMARY KEY (convenio_id, evidencia_id)
);
