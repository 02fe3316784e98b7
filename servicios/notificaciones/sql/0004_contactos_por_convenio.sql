-- Los contactos son los de cada convenio: un aviso sobre un convenio va a quienes ese convenio nombra.
-- Lo que no es de un convenio (el rechazo de un reporte) va a los del convenio más reciente de la institución.
ALTER TABLE contactos ADD COLUMN convenio_id text NOT NULL DEFAULT '';
ALTER TABLE contactos ADD COLUMN registrado_en timestamptz NOT NULL DEFAULT now();
ALTER TABLE contactos DROP CONSTRAINT contactos_pkey;
ALTER TABLE contactos ADD PRIMARY KEY (institucion, convenio_id, email);
