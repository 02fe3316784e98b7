"""Claves Ed25519 del otorgante: generarlas, guardarlas en PEM y nombrarlas con su huella JWK."""

import base64
import hashlib
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def generar_clave() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _bytes(pem: str | bytes) -> bytes:
    return pem.encode() if isinstance(pem, str) else pem


def cargar_clave_privada(pem: str | bytes) -> Ed25519PrivateKey:
    try:
        clave = serialization.load_pem_private_key(_bytes(pem), password=None)
    except (ValueError, TypeError):
        raise ValueError("No es una clave privada PEM legible (sin contraseña).") from None
    if not isinstance(clave, Ed25519PrivateKey):
        raise ValueError("La clave privada no es Ed25519.")
    return clave


def cargar_clave_publica(pem: str | bytes) -> Ed25519PublicKey:
    try:
        clave = serialization.load_pem_public_key(_bytes(pem))
    except ValueError:
        raise ValueError("No es una clave pública PEM legible.") from None
    if not isinstance(clave, Ed25519PublicKey):
        raise ValueError("La clave pública no es Ed25519.")
    return clave


def _publica(clave: Ed25519PrivateKey | Ed25519PublicKey) -> Ed25519PublicKey:
    return clave.public_key() if isinstance(clave, Ed25519PrivateKey) else clave


def pem_privada(clave: Ed25519PrivateKey) -> str:
    return clave.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def pem_publica(clave: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    return (
        _publica(clave)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _b64url(datos: bytes) -> str:
    return base64.urlsafe_b64encode(datos).rstrip(b"=").decode()


def kid(publica: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Huella JWK de RFC 7638: SHA-256 de {crv, kty, x} en orden y sin espacios, en base64url."""
    x = _publica(publica).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(x)}
    return _b64url(hashlib.sha256(json.dumps(jwk, sort_keys=True, separators=(",", ":")).encode()).digest())


def ruta_publica(ruta: Path) -> Path:
    return ruta.with_name(f"{ruta.stem}.pub.pem")


def _escribir_privada(ruta: Path, clave: Ed25519PrivateKey) -> None:
    ruta.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(ruta, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as archivo:
        archivo.write(pem_privada(clave))


def clave_de_archivo_o_generar(ruta: Path) -> Ed25519PrivateKey:
    """Lee la clave PEM de `ruta`; si no existe, la genera y la guarda (0600) junto a su pública."""
    ruta = Path(ruta)
    if ruta.exists():
        clave = cargar_clave_privada(ruta.read_bytes())
    else:
        clave = generar_clave()
        _escribir_privada(ruta, clave)
    if not ruta_publica(ruta).exists():
        ruta_publica(ruta).write_text(pem_publica(clave))
    return clave
