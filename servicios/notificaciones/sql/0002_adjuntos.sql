-- Archivos que acompañan un correo (p. ej. la credencial del distintivo): [[nombre, tipo MIME, contenido]].
ALTER TABLE entregas ADD COLUMN adjuntos jsonb NOT NULL DEFAULT '[]';
