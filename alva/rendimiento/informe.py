"""Cómo se ve el resultado: tablas de texto alineadas y cifras legibles."""

from collections.abc import Sequence

NADA = "—"


def cifra(valor, decimales: int = 0) -> str:
    """1080.4 → "1,080"; 0.25 con 2 decimales → "0.25"; None → "—"; los textos quedan igual."""
    if valor is None:
        return NADA
    if isinstance(valor, bool):
        return "sí" if valor else "no"
    if isinstance(valor, int | float):
        return f"{valor:,.{decimales}f}"
    return str(valor)


def porcentaje(valor: float | None) -> str:
    return NADA if valor is None else f"{valor:.0%}"


def tabla(titulo: str, columnas: Sequence[str], filas: Sequence[Sequence], notas: Sequence[str] = ()) -> str:
    """Una tabla: la primera columna a la izquierda, las demás a la derecha; las celdas numéricas como `cifra`."""
    celdas = [[c if isinstance(c, str) else cifra(c) for c in fila] for fila in filas]
    anchos = [max([len(columnas[i]), *(len(f[i]) for f in celdas)]) for i in range(len(columnas))]

    def renglon(valores: Sequence[str]) -> str:
        partes = [v.ljust(anchos[i]) if i == 0 else v.rjust(anchos[i]) for i, v in enumerate(valores)]
        return "  " + "  ".join(partes).rstrip()

    lineas = [titulo, renglon(columnas), "  " + "  ".join("─" * a for a in anchos)]
    lineas += [renglon(f) for f in celdas]
    lineas += [f"  {n}" for n in notas]
    return "\n".join(lineas)
