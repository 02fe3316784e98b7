CREATE TABLE contactos (
    institucion text NOT NULL,
    email       text NOT NULL,
    nombre      text NOT NULL,
    rol         text NOT NULL,
    PRIMARY KEY (institucion, email)
);

-- Una entrega por evento, canal y destinatario: la llave única impide el doble envío.
CREATE TABLE entregas (
    notificacion_id text PRIMARY KEY,
    evento_id       text NOT NULL,
    evento_tipo     text NOT NULL,
    institucion     text NOT NULL,
    canal           text NOT NULL,
    destinatario    text NOT NULL,
    asunto          text NOT NULL,
    texto           text NOT NULL,
    html            text NOT NULL,
    causa           jsonb NOT NULL,
    estado          text NOT NULL DEFAULT 'pendiente',
    intentos        int  NOT NULL DEFAULT 0,
    ultimo_error    text,
    proximo_intento timestamptz NOT NULL DEFAULT now(),
    creada_en       timestamptz NOT NULL DEFAULT now(),
    enviada_en      timestamptz,
    UNIQUE (evento_id, canal, destinatario)
);
CREATE INDEX entregas_pendientes ON entregas (proximo_intento) WHERE estado = 'pendiente';
