-- El outbox, por transacción: los mensajes que decidió, en orden, en arreglos paralelos, en filas de hasta 1,000
-- (plataforma/outbox.py, POR_FILA). Una fila por mensaje eran siete altas y siete bajas por reporte a lo largo de
-- la cadena, casi un tercio del trabajo de PostgreSQL. `cuantos` deja elegir cuántas filas toma el relay sin leerlas.
CREATE TABLE outbox_lotes (
    id        bigserial PRIMARY KEY,
    cuantos   int NOT NULL CHECK (cuantos > 0),
    topicos   text[] NOT NULL,
    llaves    bytea[] NOT NULL,
    valores   bytea[] NOT NULL,
    cabeceras text[] NOT NULL,  -- por mensaje, [[nombre, texto] | [nombre, null, base64], ...] (plataforma/outbox.py)
    creado_en timestamptz NOT NULL DEFAULT now()
);

-- Un lote grande va comprimido fuera de la fila (TOAST); lz4 cuesta mucho menos CPU que pglz, el de omisión.
DO $$
BEGIN
    ALTER TABLE outbox_lotes ALTER COLUMN valores SET COMPRESSION lz4;
    ALTER TABLE outbox_lotes ALTER COLUMN topicos SET COMPRESSION lz4;
    ALTER TABLE outbox_lotes ALTER COLUMN cabeceras SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    NULL;  -- un PostgreSQL compilado sin lz4: pglz
END
$$;

-- Lo que esperaba en el outbox de antes pasa tal cual, cada mensaje como su propio lote y en su orden.
INSERT INTO outbox_lotes (cuantos, topicos, llaves, valores, cabeceras, creado_en)
SELECT 1, ARRAY[topico], ARRAY[llave], ARRAY[valor], ARRAY[cabeceras::text], creado_en FROM outbox ORDER BY id;
DROP TABLE outbox;

-- Para leerlo (quien opera, las pruebas): un mensaje por fila, en el orden en que saldrá.
CREATE VIEW outbox AS
SELECT l.id AS lote, m.orden, m.topico, m.llave, m.valor, m.cabeceras::jsonb AS cabeceras, l.creado_en
FROM outbox_lotes l
CROSS JOIN LATERAL unnest(l.topicos, l.llaves, l.valores, l.cabeceras)
    WITH ORDINALITY AS m(topico, llave, valor, cabeceras, orden);
