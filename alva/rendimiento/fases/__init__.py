"""Las fases del banco, en el orden en que corren por omisión; cada una con `medir(banco)` e `imprimir(...)`."""

from alva.rendimiento.fases import cadena, crudo, escala, latencia, reconstruccion, recursos, solo, un_convenio

FASES = {"raw": crudo, "solo": solo, "escala": escala, "cadena": cadena, "latencia": latencia, "recursos": recursos,
         "reconstruccion": reconstruccion, "un-convenio": un_convenio}
