-- Las constancias de una sesión son las de su fila (`con_constancia`, en el orden en que se dieron): una tabla
-- aparte repetía lo mismo en una fila por asistente, tres altas por reporte. La vista las sigue mostrando una por
-- fila; el id de cada una es el uuid5 de institución/sesión/asistente (dominio.id_constancia), el mismo que llevó su
-- `constancia.emitida`.
DROP TABLE constancias;
CREATE VIEW constancias AS
SELECT s.institucion, s.sesion_id, s.convenio_id, a.asistente, a.orden
FROM sesiones s
CROSS JOIN LATERAL jsonb_array_elements_text(s.con_constancia) WITH ORDINALITY AS a(asistente, orden);
