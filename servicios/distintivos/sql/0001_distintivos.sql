CREATE TABLE convenios (
    convenio_id        text PRIMARY KEY,
    programa           text NOT NULL,
    otorgante          text NOT NULL,
    institucion        text NOT NULL,
    institucion_nombre text NOT NULL,
    vigencia_inicio    date NOT NULL,
    vigencia_fin       date NOT NULL,
    estado             text NOT NULL DEFAULT 'vigente'
);

CREATE TABLE objetivos (
    convenio_id text NOT NULL REFERENCES convenios,
    objetivo_id text NOT NULL,
    descripcion text NOT NULL,
    indicador   text NOT NULL,
    meta        double precision NOT NULL,
    valor       double precision,
    cumplido_en date,
    PRIMARY KEY (convenio_id, objetivo_id)
);

-- La última evaluación publicada, para publicar distintivo.evaluado sólo cuando cambia.
CREATE TABLE evaluaciones (
    convenio_id text PRIMARY KEY REFERENCES convenios,
    cumplidos   jsonb NOT NULL,
    faltantes   jsonb NOT NULL
);

-- Un distintivo por convenio y periodo: la restricción única es la garantía, no la suerte.
CREATE TABLE distintivos (
    distintivo_id   text PRIMARY KEY,
    programa        text NOT NULL,
    convenio_id     text NOT NULL REFERENCES convenios,
    periodo         text NOT NULL,
    institucion     text NOT NULL,
    fecha           date NOT NULL,
    vigencia_inicio date NOT NULL,
    vigencia_fin    date NOT NULL,
    estado          text NOT NULL DEFAULT 'vigente',
    UNIQUE (convenio_id, periodo)
);
