-- La posición en la lista de estado es única por programa, revisada al final de cada sentencia (o de la
-- transacción, si se pide): al reconstruir, los distintivos adoptan de una vez las posiciones que publicaron.
ALTER TABLE distintivos DROP CONSTRAINT distintivos_indice_por_programa;
ALTER TABLE distintivos ADD CONSTRAINT distintivos_indice_por_programa UNIQUE (programa, indice_estado)
    DEFERRABLE INITIALLY IMMEDIATE;
