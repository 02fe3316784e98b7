"""Verificar una credencial como un extraño: la clave por su `kid` en el JWKS publicado y la lista vigente."""

from dataclasses import dataclass, field

import jwt

from alva.consola import consultas
from servicios.distintivos.credencial import id_de
from servicios.distintivos.verificar import Estado, Informe, verificar

TAMANO_MAXIMO = 64 * 1024  # una credencial pesa unos pocos KiB


@dataclass
class Resultado:
    veredicto: str  # "válida", "revocada" o "no válida"
    informe: Informe
    kid: str | None = None
    otorgante: str | None = None
    lista_url: str | None = None
    credencial: dict | None = None  # lo que dice, aunque no sea válida (para explicar qué se revisó)
    marcas: list[tuple[str, str]] = field(default_factory=list)  # (✔ ✘ –, hallazgo)

    @property
    def valida(self) -> bool:
        return self.veredicto == "válida"


def _sin_verificar(token: str) -> tuple[dict, dict]:
    try:
        return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}, {}


def _otorgante_de(emisor_id: str | None, url_publica: str) -> str | None:
    prefijo = f"{url_publica.rstrip('/')}/emisores/"
    if emisor_id and emisor_id.startswith(prefijo) and "/" not in emisor_id[len(prefijo):]:
        return emisor_id[len(prefijo):]
    return None


def _resultado(informe: Informe, **datos) -> Resultado:
    veredicto = ("válida" if informe.valida else "revocada" if informe.estado == Estado.revocada else "no válida")
    return Resultado(veredicto, informe, marcas=[(informe.marca(h), h) for h in informe.hallazgos], **datos)


async def verificar_jwt(conn, token: str, url_publica: str) -> Resultado:
    token = token.strip()
    if not token or len(token) > TAMANO_MAXIMO:
        informe = Informe()
        informe.mal("Eso no es una credencial: un VC-JWT compacto tiene unos pocos KiB de texto (tres partes con puntos).")
        return _resultado(informe)
    cabecera, reclamos = _sin_verificar(token)
    kid, otorgante = cabecera.get("kid"), _otorgante_de(id_de(reclamos.get("issuer")), url_publica)
    estado = reclamos.get("credentialStatus") if isinstance(reclamos.get("credentialStatus"), dict) else {}
    lista_url = estado.get("statusListCredential") if isinstance(estado.get("statusListCredential"), str) else None
    publicada = await consultas.clave(conn, kid, otorgante) if isinstance(kid, str) else None
    if publicada is None:
        informe = Informe()
        informe.mal("No es un JWT legible." if not cabecera else
                    f"La firma no es de una clave que este emisor publique (kid {kid!r} no está en su JWKS).")
        return _resultado(informe, kid=kid, credencial=reclamos or None, lista_url=lista_url)
    otorgante, jwk = publicada
    lista = await consultas.lista(conn, url=lista_url) if lista_url else None
    # Todo el JWKS del otorgante: la lista de estado pudo firmarse con una clave más nueva que la de la credencial.
    informe = verificar(token, {"keys": await consultas.jwks(conn, otorgante) or [jwk]}, lista)
    return _resultado(informe, kid=kid, otorgante=otorgante, lista_url=lista_url, credencial=informe.credencial or reclamos)
