-- Inbox: la huella del contenido (un id reusado con otro contenido se rechaza) y el desenlace que tuvo un reporte
-- (quien lo reenvía tal cual recibe el mismo desenlace).
ALTER TABLE inbox ADD COLUMN huella text NOT NULL DEFAULT '';
ALTER TABLE inbox ADD COLUMN respuesta jsonb;
ALTER TABLE inbox DROP COLUMN procesado_en;

-- Pendientes: la entrada cruda tal como llegó (bytes, cabeceras y la hora del broker), no un JSON ya interpretado:
-- así cabe cualquier cosa que espere y se vuelve a leer igual al reanudarla.
DROP TABLE pendientes;
CREATE TABLE pendientes (
    id          bigserial PRIMARY KEY,
    clave       text NOT NULL,
    codigo      text NOT NULL,
    motivo      text NOT NULL,
    topico      text NOT NULL,
    particion   int NOT NULL,
    "offset"    bigint NOT NULL,
    marca       timestamptz NOT NULL,
    llave       bytea,
    valor       bytea NOT NULL,
    cabeceras   jsonb NOT NULL
);
CREATE INDEX pendientes_clave ON pendientes (clave);
CREATE INDEX pendientes_marca ON pendientes (marca);

-- Lo que Kafka no aceptará nunca (demasiado grande, tópico inexistente o sin permiso), apartado con su error.
CREATE TABLE outbox_apartados (
    id          bigint PRIMARY KEY,
    topico      text NOT NULL,
    llave       bytea,
    valor       bytea NOT NULL,
    cabeceras   jsonb NOT NULL,
    error       text NOT NULL,
    creado_en   timestamptz NOT NULL,
    apartado_en timestamptz NOT NULL DEFAULT now()
);

-- Lo que este servicio mandó a su DLQ (huella de los bytes): sólo eso se cree si quien opera lo reenvía.
CREATE TABLE dlq (
    huella    text PRIMARY KEY,
    topico    text NOT NULL,
    particion int NOT NULL,
    "offset"  bigint NOT NULL
);

-- Las instituciones dadas de alta (de alva.control): lo que llega por el ingreso de otra, espera.
CREATE TABLE instituciones (
    institucion text PRIMARY KEY
);
