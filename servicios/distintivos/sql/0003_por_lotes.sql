-- El evaluador lleva cuentas al día en vez de releer las sesiones de un convenio en cada evento.
ALTER TABLE convenios ADD COLUMN distintivo_id text;
UPDATE convenios c SET distintivo_id = d.distintivo_id FROM distintivos d WHERE d.convenio_id = c.convenio_id;

ALTER TABLE sesiones ALTER COLUMN asistentes TYPE jsonb USING to_jsonb(asistentes);

-- Por convenio y filtro de sesiones de las reglas: cuántas sesiones, horas y personas distintas lo pasan.
CREATE TABLE avances (
    convenio_id text PRIMARY KEY,
    filtros     jsonb NOT NULL
);

-- Por cuántas sesiones cuenta cada persona en cada filtro (para contarla una sola vez).
CREATE TABLE asistencias (
    convenio_id text NOT NULL,
    unidad      text NOT NULL,
    referencias jsonb NOT NULL,
    PRIMARY KEY (convenio_id, unidad)
);

-- Por programa: el siguiente índice libre de su lista de estado y los índices revocados.
CREATE TABLE programas (
    programa         text PRIMARY KEY,
    siguiente_indice int NOT NULL,
    revocados        jsonb NOT NULL
);
INSERT INTO programas
SELECT programa, coalesce(max(indice_estado) + 1, 0),
       coalesce(jsonb_agg(indice_estado ORDER BY indice_estado) FILTER (WHERE estado = 'revocado'), '[]')
FROM distintivos GROUP BY programa;
ALTER TABLE distintivos DROP CONSTRAINT distintivos_indice_estado_key;
ALTER TABLE distintivos ADD CONSTRAINT distintivos_indice_por_programa UNIQUE (programa, indice_estado);
DROP SEQUENCE indices_estado;

-- El último distintivo de cada institución por programa: el que renueva el siguiente.
CREATE TABLE anteriores (
    institucion  text PRIMARY KEY,
    por_programa jsonb NOT NULL
);
INSERT INTO anteriores
SELECT institucion, jsonb_object_agg(programa, distintivo_id)
FROM (SELECT DISTINCT ON (institucion, programa) institucion, programa, distintivo_id FROM distintivos
      ORDER BY institucion, programa, fecha DESC, distintivo_id) ultimos
GROUP BY institucion;

-- Las claves públicas de los otorgantes (todas, también las rotadas): de aquí se publica su JWKS.
CREATE TABLE claves_publicas (
    otorgante text NOT NULL,
    kid       text NOT NULL,
    jwk       jsonb NOT NULL,
    orden     int NOT NULL,
    PRIMARY KEY (otorgante, kid)
);

-- La última lista de estado firmada de cada programa: lo que se sirve en su URL.
CREATE TABLE listas_estado (
    programa  text PRIMARY KEY,
    otorgante text NOT NULL,
    url       text NOT NULL,
    jwt       text NOT NULL
);

-- La evaluación guarda las listas como jsonb; el distintivo, su credencial.
ALTER TABLE distintivos ALTER COLUMN credencial SET NOT NULL;
ALTER TABLE distintivos ALTER COLUMN indice_estado SET NOT NULL;
