"""Credencial Open Badges 3.0 del distintivo, firmada como VC-JWT (EdDSA) por el otorgante."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from servicios.distintivos.claves import ClaveFirma

CONTEXTO_VC = "https://www.w3.org/ns/credentials/v2"
CONTEXTO_OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
TIPOS_OB3 = ["VerifiableCredential", "OpenBadgeCredential"]
ALGORITMO = "EdDSA"
TIPO_JWT = "vc+jwt"


@dataclass(frozen=True)
class Emisor:
    """Quien firma: el otorgante, su perfil público (una URL que responde) y su clave más nueva."""

    id: str
    nombre: str
    url: str  # su propio sitio
    clave: ClaveFirma | Ed25519PrivateKey
    perfil: str = ""  # URL pública de su perfil en ALVA (de ahí cuelgan su JWKS y sus listas de estado)

    @property
    def perfil_id(self) -> str:
        return self.perfil or f"{self.url.rstrip('/')}/perfil"

    @property
    def privada(self) -> Ed25519PrivateKey:
        return self.clave.privada if isinstance(self.clave, ClaveFirma) else self.clave


def iso(momento: datetime) -> str:
    """Fecha y hora en UTC, ISO 8601 con 'Z' y sin fracciones de segundo."""
    return momento.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def leer_iso(texto: str) -> datetime:
    momento = datetime.fromisoformat(texto)
    return momento if momento.tzinfo else momento.replace(tzinfo=UTC)


def _inicio(dia: date) -> str:
    return iso(datetime.combine(dia, time.min, UTC))


def _fin(dia: date) -> str:
    return iso(datetime.combine(dia, time(23, 59, 59), UTC))


def _narrativa(criterios: list[str]) -> str:
    lista = "\n".join(f"- {c}" for c in criterios)
    return f"La institución cumplió con los siguientes criterios:\n\n{lista}"


def _logro(programa: str, programa_nombre: str, emisor: Emisor, criterios: list[str]) -> dict:
    return {
        "id": f"{emisor.perfil_id}/programas/{programa}",
        "type": ["Achievement"],
        "achievementType": "Award",
        "name": f"Distintivo {programa}",
        "description": f"{programa_nombre}: reconocimiento otorgado por {emisor.nombre}.",
        "criteria": {"narrative": _narrativa(criterios)},
    }


def _estado(lista_estado_url: str, indice: int) -> dict:
    return {
        "id": f"{lista_estado_url}#{indice}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(indice),
        "statusListCredential": lista_estado_url,
    }


def credencial_ob3(
    *, distintivo_id: str, programa: str, programa_nombre: str, emisor: Emisor,
    institucion_id: str, institucion_nombre: str, criterios: list[str],
    evidencia: list[dict[str, str]], valido_desde: date, valido_hasta: date, emitida_en: datetime,
    lista_estado_url: str, indice_estado: int, id_: str | None = None,
) -> dict:
    return {
        "@context": [CONTEXTO_VC, CONTEXTO_OB3],
        "id": id_ or f"urn:uuid:{distintivo_id}",
        "type": list(TIPOS_OB3),
        "issuer": {"id": emisor.perfil_id, "type": ["Profile"], "name": emisor.nombre, "url": emisor.url},
        "name": f"Distintivo {programa} para {institucion_nombre}",
        "validFrom": _inicio(valido_desde),
        "validUntil": _fin(valido_hasta),
        "awardedDate": iso(emitida_en),
        "credentialSubject": {
            "id": f"urn:alva:institucion:{institucion_id}",
            "type": ["AchievementSubject"],
            "name": institucion_nombre,
            "achievement": _logro(programa, programa_nombre, emisor, criterios),
        },
        "evidence": [
            {"type": ["Evidence"], "name": e["nombre"], "description": e["descripcion"]} for e in evidencia
        ],
        "credentialStatus": _estado(lista_estado_url, indice_estado),
    }


def id_de(valor: dict | str | None) -> str | None:
    return valor.get("id") if isinstance(valor, dict) else valor


def _instante(texto: str | None) -> int | None:
    return int(leer_iso(texto).timestamp()) if texto else None


def _reclamos(credencial: dict) -> dict:
    """Reclamos JWT registrados, sacados de la propia credencial (que es el conjunto de reclamos)."""
    reclamos = {
        "iss": id_de(credencial.get("issuer")),
        "sub": id_de(credencial.get("credentialSubject")),
        "jti": credencial.get("id"),
        "iat": _instante(credencial.get("awardedDate") or credencial.get("validFrom")),
        "nbf": _instante(credencial.get("validFrom")),
        "exp": _instante(credencial.get("validUntil")),
    }
    return {k: v for k, v in reclamos.items() if v is not None}


def firmar(credencial: dict, emisor: Emisor) -> str:
    """VC-JWT compacto: la credencial es el conjunto de reclamos, firmado con EdDSA (Ed25519)."""
    from servicios.distintivos.claves import kid

    cabecera = {"alg": ALGORITMO, "typ": TIPO_JWT, "kid": kid(emisor.privada)}
    return jwt.encode({**credencial, **_reclamos(credencial)}, emisor.privada, algorithm=ALGORITMO, headers=cabecera)


def indice_de(credencial_jwt: str) -> int | None:
    """La posición en la lista de estado que dice una credencial firmada (sin verificarla: es la propia)."""
    try:
        reclamos = jwt.decode(credencial_jwt, options={"verify_signature": False})
        return int(reclamos["credentialStatus"]["statusListIndex"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None
