"""Las cuentas de la consola: quien opera o una institución, con su clave como hash argon2; nunca en el código."""

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from plataforma.embebido import escribir_secreto

ROLES = ("operador", "institucion")
PATRON_USUARIO = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")
PATRON_INSTITUCION = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
CLAVE_MINIMA = 12
CREAR_PRIMERA = "alva consola usuario agregar <usuario> --rol operador"  # lo que dice quien no encuentra cuentas
_hasher = PasswordHasher()
_SENUELO = _hasher.hash("una clave que nadie tiene")  # para que un usuario inexistente tarde lo mismo


class UsuarioInvalido(ValueError):
    """Un usuario, rol, institución o clave que no se aceptan; el mensaje dice por qué."""


@dataclass(frozen=True)
class Usuario:
    usuario: str
    rol: str
    hash: str
    institucion: str | None = None

    @property
    def opera(self) -> bool:
        return self.rol == "operador"

    def publico(self) -> dict:
        return {"usuario": self.usuario, "rol": self.rol, "institucion": self.institucion}


def nuevo(usuario: str, rol: str, clave: str, institucion: str | None = None) -> Usuario:
    if not PATRON_USUARIO.fullmatch(usuario or ""):
        raise UsuarioInvalido(f"'{usuario}' no es un nombre de usuario: minúsculas, números, . _ @ - (2 a 64)")
    if len(clave) < CLAVE_MINIMA:
        raise UsuarioInvalido(f"la clave debe tener al menos {CLAVE_MINIMA} caracteres")
    return _validar(Usuario(usuario, rol, _hasher.hash(clave), institucion))


def _validar(u: Usuario) -> Usuario:
    if u.rol not in ROLES:
        raise UsuarioInvalido(f"{u.usuario}: el rol es operador o institucion, no '{u.rol}'")
    if u.rol == "institucion" and not PATRON_INSTITUCION.fullmatch(u.institucion or ""):
        raise UsuarioInvalido(f"{u.usuario}: una cuenta de institución necesita el id de su institución (--institucion)")
    if u.rol == "operador" and u.institucion:
        raise UsuarioInvalido(f"{u.usuario}: quien opera no pertenece a una institución")
    if not u.hash.startswith("$argon2"):
        raise UsuarioInvalido(f"{u.usuario}: la clave debe darse como hash argon2 ($argon2id$…), nunca en claro")
    return u


def desde_json(texto: str) -> dict[str, Usuario]:
    """{usuario: {rol, hash, institucion}} (el archivo, o ALVA_USUARIOS_CONSOLA)."""
    try:
        datos = json.loads(texto)
    except json.JSONDecodeError as e:
        raise UsuarioInvalido(f"las cuentas no son JSON válido: {e}") from None
    datos = datos.get("usuarios", datos) if isinstance(datos, dict) else None
    if not isinstance(datos, dict):
        raise UsuarioInvalido("las cuentas son un objeto JSON {usuario: {rol, hash, institucion}}")
    return {n: _validar(Usuario(n, d.get("rol", ""), d.get("hash", ""), d.get("institucion"))) for n, d in datos.items()}


def a_json(usuarios: dict[str, Usuario]) -> str:
    cuentas = {n: {k: v for k, v in asdict(u).items() if k != "usuario" and v is not None}
               for n, u in sorted(usuarios.items())}
    return json.dumps({"usuarios": cuentas}, ensure_ascii=False, indent=2) + "\n"


class Cuentas:
    """Las cuentas vigentes: de ALVA_USUARIOS_CONSOLA, o del archivo (releído cuando cambia)."""

    def __init__(self, archivo: Path, en_entorno: str | None = None) -> None:
        self.archivo, self.en_entorno = Path(archivo), en_entorno
        self._cache: tuple[float | None, dict[str, Usuario]] = (None, {})

    def todas(self) -> dict[str, Usuario]:
        if self.en_entorno:
            return desde_json(self.en_entorno)
        try:
            marca = self.archivo.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._cache[0] != marca:
            self._cache = (marca, desde_json(self.archivo.read_text("utf-8")))
        return self._cache[1]

    def buscar(self, usuario: str) -> Usuario | None:
        return self.todas().get(usuario)

    def autenticar(self, usuario: str, clave: str) -> Usuario | None:
        """La cuenta si la clave es suya; el mismo trabajo (un argon2) exista o no el usuario."""
        cuenta = self.buscar(usuario)
        try:
            _hasher.verify(cuenta.hash if cuenta else _SENUELO, clave)
        except (VerificationError, InvalidHashError):
            return None
        return cuenta

    def guardar(self, usuarios: dict[str, Usuario]) -> None:
        escribir_secreto(self.archivo, a_json(usuarios))
        os.chmod(self.archivo, 0o600)
