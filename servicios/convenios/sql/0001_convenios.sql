CREATE TABLE convenios (
    convenio_id     text PRIMARY KEY,
    programa        text NOT NULL,
    otorgante       text NOT NULL,
    institucion     text NOT NULL,
    vigencia_inicio date NOT NULL,
    vigencia_fin    date NOT NULL,
    estado          text NOT NULL DEFAULT 'vigente',
    version         int  NOT NULL DEFAULT 1,
    contenido       jsonb NOT NULL,
    registrado_en   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE objetivos (
    convenio_id  text NOT NULL REFERENCES convenios,
    objetivo_id  text NOT NULL,
    indicador    text NOT NULL,
    meta         double precision NOT NULL,
    tema         text,
    modalidad    text,
    valor        double precision NOT NULL DEFAULT 0,
    cumplido_en  date,
    PRIMARY KEY (convenio_id, objetivo_id)
);

-- Lo que cada origen (una sesión, un reporte) aporta a cada objetivo; el valor se deriva de aquí.
CREATE TABLE unidades (
    convenio_id text NOT NULL,
    objetivo_id text NOT NULL,
    origen      text NOT NULL,
    unidad      text NOT NULL,
    cantidad    double precision NOT NULL,
    PRIMARY KEY (convenio_id, objetivo_id, origen, unidad),
    FOREIGN KEY (convenio_id, objetivo_id) REFERENCES objetivos
);
