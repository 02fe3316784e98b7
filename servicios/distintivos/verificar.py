"""Verificación sin conexión de un Distintivo ALVA: firma, estructura, vigencia y revocación."""

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from servicios.distintivos.claves import cargar_clave_publica
from servicios.distintivos.credencial import ALGORITMO, CONTEXTO_OB3, CONTEXTO_VC, TIPO_JWT, TIPOS_OB3, id_de, leer_iso
from servicios.distintivos.lista_estado import ListaEstado

SIN_TIEMPO = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}


@dataclass
class Informe:
    hallazgos: list[str] = field(default_factory=list)
    fallos: list[str] = field(default_factory=list)
    avisos: list[str] = field(default_factory=list)
    credencial: dict | None = None

    @property
    def valida(self) -> bool:
        return self.credencial is not None and not self.fallos

    def bien(self, texto: str) -> None:
        self.hallazgos.append(texto)

    def mal(self, texto: str) -> None:
        self.hallazgos.append(texto)
        self.fallos.append(texto)

    def aviso(self, texto: str) -> None:
        self.hallazgos.append(texto)
        self.avisos.append(texto)

    def marca(self, hallazgo: str) -> str:
        return "✘" if hallazgo in self.fallos else "–" if hallazgo in self.avisos else "✔"


def _decodificar(token: str, clave: Ed25519PublicKey, que: str) -> tuple[dict, dict]:
    """Cabecera y reclamos de un JWT firmado con EdDSA por `clave`; ValueError en español si no."""
    try:
        cabecera = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise ValueError(f"{que.capitalize()} no es un JWT compacto legible.") from None
    if cabecera.get("alg") != ALGORITMO:
        raise ValueError(f"La firma de {que} usa el algoritmo {cabecera.get('alg')!r}; sólo se acepta EdDSA.")
    try:
        return cabecera, jwt.decode(token, clave, algorithms=[ALGORITMO], options=SIN_TIEMPO)
    except jwt.InvalidSignatureError:
        raise ValueError(f"La firma de {que} no es válida: fue alterada o no la hizo esta clave.") from None
    except jwt.PyJWTError as error:
        raise ValueError(f"No se pudo verificar la firma de {que}: {error}.") from None


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
        informe.mal(f"La credencial aún no es válida: su vigencia comienza el {desde:%Y-%m-%d}.")
    elif ahora > hasta:
        informe.mal(f"La credencial venció el {hasta:%Y-%m-%d}.")
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


def _revisar_revocacion(credencial: dict, clave, lista_jwt: str | None, informe: Informe) -> None:
    estado = credencial.get("credentialStatus") if isinstance(credencial.get("credentialStatus"), dict) else {}
    if lista_jwt is None:
        return informe.aviso(f"No se comprobó la revocación: no se dio la lista de estado ({estado.get('statusListCredential')}).")
    try:
        _, lista = _decodificar(lista_jwt.strip(), clave, "la lista de estado")
        problema = _problema_de_lista(lista, credencial, estado)
        revocada = problema is None and _revocada(lista, estado)
    except (ValueError, IndexError, KeyError) as error:
        return informe.mal(f"No se pudo comprobar la revocación: {error}")
    if problema:
        informe.mal(problema)
    elif revocada:
        informe.mal("La credencial está REVOCADA según la lista de estado.")
    else:
        informe.bien("La credencial no está revocada según la lista de estado.")


def verificar(credencial_jwt: str, clave_publica, lista_jwt: str | None = None, ahora: datetime | None = None) -> Informe:
    """Revisa firma, estructura, vigencia y, si se da la lista de estado, revocación."""
    clave = cargar_clave_publica(clave_publica) if isinstance(clave_publica, (str, bytes)) else clave_publica
    informe = Informe()
    try:
        cabecera, credencial = _decodificar(credencial_jwt.strip(), clave, "la credencial")
    except ValueError as error:
        informe.mal(str(error))
        return informe
    informe.credencial = credencial
    informe.bien("La firma EdDSA de la credencial es válida.")
    _revisar_estructura(cabecera, credencial, informe)
    _revisar_vigencia(credencial, ahora or datetime.now(UTC), informe)
    _revisar_revocacion(credencial, clave, lista_jwt, informe)
    return informe


def _argumentos(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m servicios.distintivos.verificar",
        description="Verifica sin conexión un Distintivo ALVA (Open Badges 3.0 firmado como VC-JWT).",
    )
    p.add_argument("credencial", metavar="CREDENCIAL", help="archivo con el JWT compacto, o - para la entrada estándar")
    p.add_argument("--clave-publica", required=True, metavar="PEM", help="archivo PEM con la clave pública del otorgante")
    p.add_argument("--lista-estado", metavar="ARCHIVO", help="archivo con la lista de estado (VC-JWT) para la revocación")
    p.add_argument("--json", action="store_true", help="imprime el informe como JSON")
    return p.parse_args(argv)


def _leer(ruta: str) -> str:
    return sys.stdin.read() if ruta == "-" else Path(ruta).read_text()


def _imprimir(informe: Informe, como_json: bool) -> None:
    if como_json:
        datos = {"valida": informe.valida, "hallazgos": informe.hallazgos, "fallos": informe.fallos,
                 "avisos": informe.avisos, "credencial": informe.credencial}
        return print(json.dumps(datos, ensure_ascii=False, indent=2))
    for hallazgo in informe.hallazgos:
        print(f"{informe.marca(hallazgo)} {hallazgo}")
    motivos = "; ".join(f.rstrip(".") for f in informe.fallos)
    print("Credencial válida" if informe.valida else f"Credencial NO válida: {motivos}")


def main(argv: list[str] | None = None) -> int:
    try:
        args = _argumentos(argv)
    except SystemExit as salida:
        return salida.code if isinstance(salida.code, int) else 2
    try:
        clave = cargar_clave_publica(Path(args.clave_publica).read_bytes())
        credencial = _leer(args.credencial)
        lista = _leer(args.lista_estado) if args.lista_estado else None
    except OSError as error:
        print(f"Error: no se pudo leer {error.filename or 'la entrada'}: {error.strerror}.", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print("Error: la credencial o la lista de estado no es texto UTF-8.", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"Error: {args.clave_publica}: {error}", file=sys.stderr)
        return 2
    informe = verificar(credencial, clave, lista)
    _imprimir(informe, args.json)
    return 0 if informe.valida else 1


if __name__ == "__main__":
    raise SystemExit(main())
