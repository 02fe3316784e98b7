-- Cada versión de las reglas de cada programa; la que ya otorgó un distintivo queda bloqueada.
CREATE TABLE reglas (
    programa  text NOT NULL,
    version   int  NOT NULL,
    huella    text NOT NULL,
    contenido jsonb NOT NULL,
    bloqueada boolean NOT NULL DEFAULT false,
    PRIMARY KEY (programa, version)
);

-- Las sesiones completadas de cada convenio (última versión), para los requisitos del programa.
CREATE TABLE sesiones (
    convenio_id text NOT NULL,
    sesion_id   text NOT NULL,
    tema        text NOT NULL,
    modalidad   text NOT NULL,
    fecha       date NOT NULL,
    horas       double precision NOT NULL,
    asistentes  text[] NOT NULL,
    PRIMARY KEY (convenio_id, sesion_id)
);

-- Índices de la lista de estado (Bitstring Status List): únicos aunque dos transacciones otorguen a la vez.
CREATE SEQUENCE indices_estado MINVALUE 0 START 0;

ALTER TABLE distintivos ADD COLUMN reglas_version int NOT NULL DEFAULT 1;
ALTER TABLE distintivos ADD COLUMN anterior_id text;
ALTER TABLE distintivos ADD COLUMN motivo text;
ALTER TABLE distintivos ADD COLUMN indice_estado int UNIQUE;
ALTER TABLE distintivos ADD COLUMN credencial text;
ALTER TABLE distintivos ADD COLUMN otorgante text NOT NULL DEFAULT '';
