"""Verificación sin conexión de un Distintivo ALVA: firma, estructura, vigencia y revocación. La usan `alva
verificar` y la consola; `python -m servicios.distintivos.verificar` es un alias de `alva verificar`."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from servicios.distintivos.claves import cargar_clave_publica, clave_de_jwk
from servicios.distintivos.credencial import ALGORITMO, CONTEXTO_OB3, CONTEXTO_VC, TIPO_JWT, TIPOS_OB3, id_de, leer_iso
from servicios.distintivos.lista_estado import ListaEstado

SIN_TIEMPO = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}


class Estado(StrEnum):
    """El veredicto, de lo más grave a lo menos: el primero que aplique es el de la credencial."""

    firma_invalida = "firma_invalida"  # alterada, de otra clave, o de una clave que el emisor no publica
    no_valida = "no_valida"  # ilegible, incompleta, o su lista de estado no sirve para comprobarla
    revocada = "revocada"
    vencida = "vencida"
    aun_no_vigente = "aun_no_vigente"
    valida = "valida"


class FirmaInvalida(ValueError):
    """La firma no es de una clave del emisor o no corresponde a lo firmado."""


@dataclass
class Informe:
    hallazgos: list[str] = field(default_factory=list)
    fallos: list[str] = field(default_factory=list)
    avisos: list[str] = field(default_factory=list)
    credencial: dict | None = None
    estados: set[Estado] = field(default_factory=set)  # el de cada fallo
    kid: str | None = None  # la clave que firmó la credencial

    @property
    def valida(self) -> bool:
        return self.credencial is not None and not self.fallos

    @property
    def estado(self) -> Estado:
        if self.valida:
            return Estado.valida
        return min(self.estados or {Estado.no_valida}, key=list(Estado).index)

    def bien(self, texto: str) -> None:
        self.hallazgos.append(texto)

    def mal(self, texto: str, estado: Estado = Estado.no_valida) -> None:
        self.hallazgos.append(texto)
        self.fallos.append(texto)
        self.estados.add(estado)

    def aviso(self, texto: str) -> None:
        self.hallazgos.append(texto)
        self.avisos.append(texto)

    def marca(self, hallazgo: str) -> str:
        return "✘" if hallazgo in self.fallos else "–" if hallazgo in self.avisos else "✔"


Claves = Ed25519PublicKey | dict  # una clave, o el JWKS del emisor ({"keys": [...]}), o una sola JWK


def claves_de(claves: Claves | str | bytes) -> Claves:
    """Una clave PEM se carga; un JWKS o una JWK (dict) quedan como están: la clave se elige por el `kid` de cada
    JWT. ValueError en español si no es nada de eso."""
    if isinstance(claves, str | bytes):
        return cargar_clave_publica(claves)
    if isinstance(claves, dict) and "kty" in claves:
        return {"keys": [claves]}
    if isinstance(claves, Ed25519PublicKey) or (isinstance(claves, dict) and isinstance(claves.get("keys"), list)):
        return claves
    raise ValueError("Las claves no son un JWKS ({\"keys\": [...]}), una JWK ni una clave pública Ed25519.")


def _clave_para(cabecera: dict, claves: Claves, que: str) -> Ed25519PublicKey:
    if isinstance(claves, Ed25519PublicKey):
        return claves
    kid = cabecera.get("kid")
    candidatas = [j for j in claves["keys"] if isinstance(j, dict) and (kid is None or j.get("kid") == kid)]
    if len(candidatas) != 1:
        raise FirmaInvalida(f"{que.capitalize()} está firmada con la clave {kid!r}, que no está entre las claves "
                            "publicadas del emisor (su JWKS)." if kid else f"{que.capitalize()} no dice con qué "
                            "clave se firmó (sin kid) y el emisor publica varias.")
    try:
        return clave_de_jwk(candidatas[0])
    except (ValueError, KeyError, TypeError):
        raise FirmaInvalida(f"La clave {kid!r} del emisor no es una clave Ed25519 legible.") from None


def _decodificar(token: str, claves: Claves, que: str) -> tuple[dict, dict]:
    """Cabecera y reclamos de un JWT firmado con EdDSA por una de `claves`; FirmaInvalida (o ValueError si ni
    siquiera es un JWT) en español si no."""
    try:
        cabecera = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise ValueError(f"{que.capitalize()} no es un JWT compacto legible.") from None
    if cabecera.get("alg") != ALGORITMO:
        raise FirmaInvalida(f"La firma de {que} usa el algoritmo {cabecera.get('alg')!r}; sólo se acepta EdDSA.")
    clave = _clave_para(cabecera, claves, que)
    try:
        return cabecera, jwt.decode(token, clave, algorithms=[ALGORITMO], options=SIN_TIEMPO)
    except jwt.InvalidSignatureError:
        raise FirmaInvalida(f"La firma de {que} no es válida: fue alterada o no la hizo esta clave.") from None
    except jwt.DecodeError as error:
        raise ValueError(f"{que.capitalize()} no es un JWT legible: {error}.") from None
    except jwt.PyJWTError as error:
        raise FirmaInvalida(f"No se pudo verificar la firma de {que}: {error}.") from None


def _lista(valor) -> list:
    return valor if isinstance(valor, list) else [valor]


def _faltantes(cabecera: dict, c: dict) -> list[str]:
    sujeto = c.get("credentialSubject") if isinstance(c.get("credentialSubject"), dict) else {}
    estado = c.get("credentialStatus") if isinstance(c.get("credentialStatus"), dict) else {}
    pruebas = {
        "el contexto VC 2.0 en primer lugar": _lista(c.get("@context"))[:1] == [CONTEXTO_VC],
        "el contexto de Open Badges 3.0": CONTEXTO_OB3 in _lista(c.get("@context")),
        "los tipos VerifiableCredential y OpenBadgeCredential": set(TIPOS_OB3) <= set(_lista(c.get("type"))),
        "el emisor (issuer)": bool(id_de(c.get("issuer"))),
        "el sujeto AchievementSubject": "AchievementSubject" in _lista(sujeto.get("type")),
        "el logro (credentialSubject.achievement)": isinstance(sujeto.get("achievement"), dict),
        "validFrom": bool(c.get("validFrom")),
        "validUntil": bool(c.get("validUntil")),
        "el estado (credentialStatus)": estado.get("type") == "BitstringStatusListEntry"
        and bool(estado.get("statusListCredential")) and str(estado.get("statusListIndex", "")).isdigit(),
        "el tipo de JWT vc+jwt": cabecera.get("typ") == TIPO_JWT,
        "reclamos iss/sub/jti iguales a issuer, sujeto e id": (c.get("iss"), c.get("sub"), c.get("jti"))
        == (id_de(c.get("issuer")), sujeto.get("id"), c.get("id")),
    }
    return [nombre for nombre, bien in pruebas.items() if not bien]


def _revisar_estructura(cabecera: dict, credencial: dict, informe: Informe) -> None:
    faltan = _faltantes(cabecera, credencial)
    if faltan:
        informe.mal(f"A la estructura le falta: {', '.join(faltan)}.")
    else:
        informe.bien("La estructura es la de una OpenBadgeCredential (VC 2.0) completa.")


def _revisar_vigencia(credencial: dict, ahora: datetime, informe: Informe) -> None:
    try:
        desde, hasta = leer_iso(credencial["validFrom"]), leer_iso(credencial["validUntil"])
    except (KeyError, TypeError, ValueError):
        return informe.mal("No se pudo comprobar la vigencia: validFrom o validUntil faltan o no son ISO 8601.")
    if ahora < desde:
        informe.mal(f"La credencial aún no es válida: su vigencia comienza el {desde:%Y-%m-%d}.",
                    Estado.aun_no_vigente)
    elif ahora > hasta:
        informe.mal(f"La credencial venció el {hasta:%Y-%m-%d}.", Estado.vencida)
    else:
        informe.bien(f"La credencial está vigente (del {desde:%Y-%m-%d} al {hasta:%Y-%m-%d}).")


def _problema_de_lista(lista: dict, credencial: dict, estado: dict) -> str | None:
    sujeto = lista.get("credentialSubject") if isinstance(lista.get("credentialSubject"), dict) else {}
    if "BitstringStatusListCredential" not in _lista(lista.get("type")):
        return "La lista de estado dada no es una BitstringStatusListCredential."
    if lista.get("id") != estado.get("statusListCredential"):
        return f"La lista de estado dada es {lista.get('id')}, pero la credencial apunta a {estado.get('statusListCredential')}."
    if id_de(lista.get("issuer")) != id_de(credencial.get("issuer")):
        return "La lista de estado es de otro emisor."
    if sujeto.get("statusPurpose") != estado.get("statusPurpose"):
        return "El propósito de la lista de estado no coincide con el de la credencial."
    return None


def _revocada(lista: dict, estado: dict) -> bool:
    codificada = lista["credentialSubject"].get("encodedList", "")
    return ListaEstado.decodificar(codificada).revocado(int(estado["statusListIndex"]))


def _revisar_revocacion(credencial: dict, claves: Claves, lista_jwt: str | None, informe: Informe) -> None:
    estado = credencial.get("credentialStatus") if isinstance(credencial.get("credentialStatus"), dict) else {}
    if lista_jwt is None:
        return informe.aviso(f"No se comprobó la revocación: no se dio la lista de estado ({estado.get('statusListCredential')}).")
    try:
        _, lista = _decodificar(lista_jwt.strip(), claves, "la lista de estado")
        problema = _problema_de_lista(lista, credencial, estado)
        revocada = problema is None and _revocada(lista, estado)
    except (ValueError, IndexError, KeyError) as error:
        return informe.mal(f"No se pudo comprobar la revocación: {error}")
    if problema:
        informe.mal(problema)
    elif revocada:
        informe.mal("La credencial está REVOCADA según la lista de estado.", Estado.revocada)
    else:
        informe.bien("La credencial no está revocada según la lista de estado.")


def verificar(credencial_jwt: str, clave_publica: Claves | str | bytes, lista_jwt: str | None = None,
              ahora: datetime | None = None) -> Informe:
    """Revisa firma, estructura, vigencia y, si se da la lista de estado, revocación. `clave_publica`: la clave
    (objeto o PEM), o el JWKS del emisor, del que se toma la clave que nombra el `kid` de cada JWT (así una lista
    firmada con una clave más nueva que la de la credencial también se comprueba)."""
    claves = claves_de(clave_publica)
    informe = Informe()
    try:
        cabecera, credencial = _decodificar(credencial_jwt.strip(), claves, "la credencial")
    except FirmaInvalida as error:
        informe.mal(str(error), Estado.firma_invalida)
        return informe
    except ValueError as error:
        informe.mal(str(error))
        return informe
    informe.credencial, informe.kid = credencial, cabecera.get("kid")
    informe.bien("La firma EdDSA de la credencial es válida.")
    _revisar_estructura(cabecera, credencial, informe)
    _revisar_vigencia(credencial, ahora or datetime.now(UTC), informe)
    _revisar_revocacion(credencial, claves, lista_jwt, informe)
    return informe


def resumen(credencial: dict) -> dict:
    """Lo que la credencial afirma, para mostrarlo: titular, distintivo, emisor, vigencia y los criterios cumplidos
    con sus cifras (p. ej. «Objetivo: Capacitar a 400 personas: 428 de 400»)."""
    sujeto = credencial.get("credentialSubject") if isinstance(credencial.get("credentialSubject"), dict) else {}
    logro = sujeto.get("achievement") if isinstance(sujeto.get("achievement"), dict) else {}
    criterios = logro.get("criteria") if isinstance(logro.get("criteria"), dict) else {}
    emisor = credencial.get("issuer") if isinstance(credencial.get("issuer"), dict) else {"id": credencial.get("issuer")}
    estado = credencial.get("credentialStatus") if isinstance(credencial.get("credentialStatus"), dict) else {}
    distintivo = {"id": credencial.get("id"), "nombre": logro.get("name"), "descripcion": logro.get("description")}
    return {
        "titular": {"id": sujeto.get("id"), "nombre": sujeto.get("name")},
        "programa": str(logro.get("id", "")).rpartition("/programas/")[2] or None,
        "distintivo": distintivo,
        "emisor": {"id": emisor.get("id"), "nombre": emisor.get("name")},
        "vigencia": {"desde": credencial.get("validFrom"), "hasta": credencial.get("validUntil")},
        "criterios": [r[2:].strip() for r in str(criterios.get("narrative", "")).splitlines() if r.startswith("- ")],
        "lista_estado": estado.get("statusListCredential"),
    }


if __name__ == "__main__":  # alias de `alva verificar` (mismas opciones, mismos códigos de salida)
    from alva.cli.verificar import como_programa

    como_programa()
