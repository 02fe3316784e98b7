"""Firma de los webhooks: HMAC-SHA256 sobre «marca de tiempo + "." + cuerpo», con el secreto de cada destinatario."""

import hashlib
import hmac
import time

CABECERA = "ALVA-Firma"
TOLERANCIA_S = 300


def firmar(secreto: bytes, cuerpo: bytes, marca: int | None = None) -> str:
    """El valor de la cabecera `ALVA-Firma`: `t=<segundos unix>,v1=<hmac hex>`."""
    marca = int(time.time()) if marca is None else marca
    return f"t={marca},v1={_hmac(secreto, marca, cuerpo)}"


def verificar(secreto: bytes, cuerpo: bytes, cabecera: str, ahora: float | None = None) -> bool:
    """Lo que hace quien recibe: la firma coincide y la marca no tiene más de cinco minutos."""
    try:
        partes = dict(p.split("=", 1) for p in cabecera.split(","))
        marca = int(partes["t"])
    except (ValueError, KeyError):
        return False
    reciente = abs((time.time() if ahora is None else ahora) - marca) <= TOLERANCIA_S
    return reciente and hmac.compare_digest(partes.get("v1", ""), _hmac(secreto, marca, cuerpo))


def _hmac(secreto: bytes, marca: int, cuerpo: bytes) -> str:
    return hmac.new(secreto, f"{marca}.".encode() + cuerpo, hashlib.sha256).hexdigest()
