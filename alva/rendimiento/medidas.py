"""Cuentas puras del banco: mediana, percentiles, ritmo por decil y si un retraso crece."""

import math
from collections.abc import Sequence


def mediana(valores: Sequence[float | None]) -> float | None:
    return percentil(valores, 50)


def percentil(valores: Sequence[float | None], p: float) -> float | None:
    """Interpolación lineal entre rangos (como `numpy.percentile`); None sin valores."""
    ordenados = sorted(v for v in valores if v is not None)
    if not ordenados:
        return None
    posicion = (len(ordenados) - 1) * p / 100
    abajo, arriba = math.floor(posicion), math.ceil(posicion)
    return ordenados[abajo] + (ordenados[arriba] - ordenados[abajo]) * (posicion - abajo)


def por_segundo(cuantos: float, segundos: float | None) -> float | None:
    return cuantos / segundos if segundos else None


def instante_en(avance: Sequence[tuple[float, float]], meta: float) -> float | None:
    """Cuándo el avance acumulado (instante, cuenta), en orden, llega a `meta`; interpola entre muestras."""
    previo = None
    for t, cuenta in avance:
        if cuenta >= meta:
            if previo is None or cuenta == previo[1]:
                return t
            t0, c0 = previo
            return t0 + (t - t0) * (meta - c0) / (cuenta - c0)
        previo = (t, cuenta)
    return None


def ritmo_por_decil(inicio: float, avance: Sequence[tuple[float, float]], total: float,
                    unidades: float | None = None) -> list[float | None]:
    """Diez ritmos (unidades/s), del primer 10 % al último; None para los deciles que no terminaron.

    `avance` es la cuenta acumulada en el tiempo (p. ej. eventos procesados) hasta `total`; `unidades` es lo que
    vale cada décimo en lo que se reporta (p. ej. reportes), por omisión `total / 10`.
    """
    decimo = (unidades if unidades is not None else total) / 10
    desde_inicio = [(inicio, 0.0), *avance]
    ritmos, antes = [], inicio
    for d in range(1, 11):
        t = instante_en(desde_inicio, total * d / 10)
        if t is None or antes is None:
            ritmos.append(None)
            antes = None
            continue
        ritmos.append(decimo / (t - antes) if t > antes else None)
        antes = t
    return ritmos


def pendiente(muestras: Sequence[tuple[float, float]]) -> float | None:
    """Mínimos cuadrados: cuánto cambia el valor por segundo."""
    if len(muestras) < 2:
        return None
    n = len(muestras)
    mt = sum(t for t, _ in muestras) / n
    mv = sum(v for _, v in muestras) / n
    varianza = sum((t - mt) ** 2 for t, _ in muestras)
    if varianza == 0:
        return None
    return sum((t - mt) * (v - mv) for t, v in muestras) / varianza


def se_atrasa(muestras: Sequence[tuple[float, float]], tasa: float, minimo: int = 6) -> bool | None:
    """Un grupo se atrasa si en la segunda mitad de la ventana (pasada la subida inicial al retraso de régimen) su
    retraso crece más de 5 % de lo que le entra por segundo (`tasa`, eventos/s) y termina más alto que empezó.
    None si esa mitad tiene menos de `minimo` muestras: una ventana tan corta no lo dice."""
    if len(muestras) < 2:
        return None
    mitad = muestras[0][0] + (muestras[-1][0] - muestras[0][0]) / 2
    segunda = [m for m in muestras if m[0] >= mitad]
    crecimiento = pendiente(segunda)
    if len(segunda) < minimo or crecimiento is None:
        return None
    return crecimiento > max(5.0, 0.05 * tasa) and segunda[-1][1] > segunda[0][1]
