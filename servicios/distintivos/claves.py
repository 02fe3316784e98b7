"""Claves Ed25519 de los otorgantes: una o varias por otorgante (rotar es agregar una), cada una con su `kid`."""

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class ClaveFaltante(RuntimeError):
    """Un otorgante no tiene clave con qué firmar; el mensaje dice dónde ponerla."""


@dataclass(frozen=True)
class ClaveFirma:
    otorgante: str
    privada: Ed25519PrivateKey

    @property
    def kid(self) -> str:
        return kid(self.privada)

    def jwk(self) -> dict:
        return jwk_publica(self.privada)


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


def _x(clave: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    return _b64url(_publica(clave).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def kid(clave: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Huella JWK de RFC 7638: SHA-256 de {crv, kty, x} en orden y sin espacios, en base64url."""
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": _x(clave)}
    return _b64url(hashlib.sha256(json.dumps(jwk, sort_keys=True, separators=(",", ":")).encode()).digest())


def jwk_publica(clave: Ed25519PrivateKey | Ed25519PublicKey) -> dict:
    """La clave pública como JWK (RFC 8037), con su `kid`: lo que se publica en el JWKS del otorgante."""
    return {"kty": "OKP", "crv": "Ed25519", "x": _x(clave), "kid": kid(clave), "use": "sig", "alg": "EdDSA"}


def clave_de_jwk(jwk: dict) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("La JWK no es una clave Ed25519 (kty OKP, crv Ed25519).")
    x = jwk["x"]
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))


def ruta_publica(ruta: Path) -> Path:
    return ruta.with_name(f"{ruta.stem}.pub.pem")


def _escribir_privada(ruta: Path, clave: Ed25519PrivateKey) -> None:
    ruta.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(ruta, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as archivo:
        archivo.write(pem_privada(clave))
    ruta_publica(ruta).write_text(pem_publica(clave))


def archivos_de(carpeta: Path, otorgante: str) -> list[Path]:
    """Las claves de un otorgante, de la más vieja a la más nueva: `<otorgante>.pem` y luego `<otorgante>/*.pem`."""
    viejo = carpeta / f"{otorgante}.pem"
    nuevas = sorted(p for p in (carpeta / otorgante).glob("*.pem") if not p.name.endswith(".pub.pem"))
    return ([viejo] if viejo.is_file() else []) + nuevas


def cargar_claves(carpeta: Path, otorgante: str) -> list[ClaveFirma]:
    claves = []
    for archivo in archivos_de(Path(carpeta), otorgante):
        try:
            claves.append(ClaveFirma(otorgante, cargar_clave_privada(archivo.read_bytes())))
        except ValueError as e:
            raise ClaveFaltante(f"{archivo}: {e}") from None
    return claves


def crear_clave(carpeta: Path, otorgante: str, cuando: datetime | None = None) -> Path:
    """Una clave nueva (0600) en `<carpeta>/<otorgante>/`: la más nueva firma de aquí en adelante; las anteriores
    siguen publicadas, así que lo que firmaron sigue verificándose."""
    clave = generar_clave()
    marca = (cuando or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    ruta = Path(carpeta) / otorgante / f"{marca}-{kid(clave)[:8]}.pem"
    _escribir_privada(ruta, clave)
    return ruta


def clave_de_archivo_o_generar(ruta: Path) -> Ed25519PrivateKey:
    """Lee la clave PEM de `ruta`; si no existe, la genera y la guarda (0600) junto a su pública."""
    ruta = Path(ruta)
    if ruta.exists():
        clave = cargar_clave_privada(ruta.read_bytes())
        if not ruta_publica(ruta).exists():
            ruta_publica(ruta).write_text(pem_publica(clave))
        return clave
    clave = generar_clave()
    _escribir_privada(ruta, clave)
    return clave
