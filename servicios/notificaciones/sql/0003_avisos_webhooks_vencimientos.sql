ALTER TABLE contactos ADD COLUMN avisos jsonb;
ALTER TABLE entregas ADD COLUMN aviso text NOT NULL DEFAULT '';
-- Una entrega en curso tiene dueño hasta `tomada_hasta`; si el proceso muere, vuelve a estar pendiente.
ALTER TABLE entregas ADD COLUMN tomada_hasta timestamptz;
CREATE INDEX entregas_en_curso ON entregas (tomada_hasta) WHERE estado = 'en_curso';

-- Los distintivos vigentes, para avisar antes de que venzan sin que nadie envíe nada.
CREATE TABLE distintivos (
    distintivo_id text PRIMARY KEY,
    institucion   text NOT NULL,
    vigencia_fin  date NOT NULL,
    estado        text NOT NULL DEFAULT 'vigente',
    otorgado      jsonb NOT NULL
);
