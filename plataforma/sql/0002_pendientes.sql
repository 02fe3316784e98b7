-- Entradas que llegaron antes de lo que necesitan (p. ej. una sesión antes que su convenio): esperan aquí,
-- se reanudan cuando eso llega, y se rechazan si no llega en el plazo.
CREATE TABLE pendientes (
    id          bigserial PRIMARY KEY,
    clave       text NOT NULL,
    codigo      text NOT NULL,
    motivo      text NOT NULL,
    evento      jsonb NOT NULL,
    topico      text NOT NULL,
    particion   int NOT NULL,
    "offset"    bigint NOT NULL,
    recibido_en timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pendientes_clave ON pendientes (clave);
CREATE INDEX pendientes_recibido ON pendientes (recibido_en);
