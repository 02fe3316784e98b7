-- A quién ya se le dio constancia de cada sesión: una corrección sólo emite las de quienes faltaban.
ALTER TABLE sesiones ADD COLUMN con_constancia jsonb NOT NULL DEFAULT '[]';
UPDATE sesiones s SET con_constancia = coalesce(
    (SELECT jsonb_agg(c.asistente ORDER BY c.asistente) FROM constancias c
     WHERE c.institucion = s.institucion AND c.sesion_id = s.sesion_id), '[]');
