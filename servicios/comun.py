"""Reglas que varios servicios comparten, sin dependencias: huella de un contenido, texto normalizado y si un
convenio admite un reporte de cierta institución y fecha."""

import hashlib
import json
import unicodedata
from collections.abc import Callable
from datetime import date


def huella(contenido: dict) -> str:
    """Igual contenido, igual huella: distingue un reenvío de un reporte distinto con el mismo id."""
    return hashlib.sha256(json.dumps(contenido, sort_keys=True, default=str).encode()).hexdigest()


def normal(texto: str) -> str:
    """Para comparar temas: sin acentos, sin mayúsculas y con un solo espacio entre palabras."""
    sin_acentos = unicodedata.normalize("NFKD", texto).encode("ascii", "ignore").decode()
    return " ".join(sin_acentos.casefold().split())


def problema_de_admision(convenio_id: str, dueno: str, estado: str, inicio: date, fin: date, institucion: str,
                         fecha: date | None) -> tuple[str, str, str] | None:
    """Por qué `institucion` no puede reportar bajo el convenio algo de `fecha`: (código, motivo, campo), o None."""
    if dueno != institucion:
        return "convenio_ajeno", f"El convenio {convenio_id} no es de '{institucion}'.", "data.convenio_id"
    if estado != "vigente":
        return "convenio_no_vigente", f"El convenio {convenio_id} está {estado}.", "data.convenio_id"
    if fecha is not None and not inicio <= fecha <= fin:
        return ("fecha_fuera_de_vigencia", f"La fecha {fecha} cae fuera de la vigencia del convenio ({inicio} a {fin}).",
                "data.fecha")
    return None


class Cuenta:
    """Cuántos hechos aportan cada unidad compartida (una persona en varias sesiones), por destino (un objetivo, un
    filtro): {unidad: {destino: n}}. Sólo las unidades que se tocan; quien la guarda decide de dónde salen."""

    def __init__(self, referencias: dict[str, dict[str, int]] | None = None,
                 leer: Callable[[str], dict[str, int] | None] | None = None) -> None:
        self.referencias = referencias if referencias is not None else {}
        self.leer = leer  # de dónde sale una unidad que aún no se tocó (p. ej. la tabla del lote)

    def de(self, unidad: str) -> dict[str, int]:
        if unidad not in self.referencias:
            self.referencias[unidad] = dict((self.leer(unidad) if self.leer else None) or {})
        return self.referencias[unidad]

    def sumar(self, unidad: str, destino: str, n: int) -> int:
        """Suma `n` a las referencias de la unidad para el destino; devuelve cuántas quedan."""
        refs = self.de(unidad)
        refs[destino] = refs.get(destino, 0) + n
        if refs[destino] <= 0:
            refs.pop(destino)
            return 0
        return refs[destino]
