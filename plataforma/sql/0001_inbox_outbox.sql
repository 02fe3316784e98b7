-- Inbox: ids de los eventos ya procesados, escritos en la misma transacción que el cambio de estado.
CREATE TABLE inbox (
    evento_id    text PRIMARY KEY,
    procesado_en timestamptz NOT NULL DEFAULT now()
);

-- Outbox: lo que una transacción decidió publicar; el relay lo envía a Kafka y lo borra.
CREATE TABLE outbox (
    id        bigserial PRIMARY KEY,
    topico    text NOT NULL,
    llave     bytea,
    valor     bytea NOT NULL,
    cabeceras jsonb NOT NULL DEFAULT '[]',
    creado_en timestamptz NOT NULL DEFAULT now()
);
