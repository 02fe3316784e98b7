"""Las fases del banco, en el orden en que corren por omisión; cada una con `medir(banco)` e `imprimir(...)`."""

from alva.rendimiento.fases import crudo, solo

FASES = {"raw": crudo, "solo": solo}
