"""Lista de estado Bitstring (W3C) para revocar distintivos, publicada como VC-JWT firmado."""

import base64
import gzip
import zlib
from datetime import datetime

from servicios.distintivos.credencial import CONTEXTO_VC, Emisor, iso

TAMANO = 131072  # bits: el mínimo de la especificación (16 KiB sin comprimir)
PREFIJO_MULTIBASE = "u"  # multibase: base64url sin relleno
LIMITE = 16 * 1024 * 1024  # bytes descomprimidos que se aceptan al leer una lista ajena


class ListaEstado:
    """Un bit por credencial; el índice 0 es el bit más significativo del primer byte."""

    def __init__(self, datos: bytes | bytearray | None = None) -> None:
        self.datos = bytearray(datos) if datos is not None else bytearray(TAMANO // 8)

    def __len__(self) -> int:
        return len(self.datos) * 8

    def _posicion(self, indice: int) -> tuple[int, int]:
        if not 0 <= indice < len(self):
            raise IndexError(f"El índice {indice} está fuera de la lista de estado (0 a {len(self) - 1}).")
        return indice // 8, 0x80 >> (indice % 8)

    def revocar(self, indice: int) -> None:
        byte, mascara = self._posicion(indice)
        self.datos[byte] |= mascara

    def revocado(self, indice: int) -> bool:
        byte, mascara = self._posicion(indice)
        return bool(self.datos[byte] & mascara)

    def codificar(self) -> str:
        """GZIP (RFC 1952), luego base64url sin relleno, con el prefijo multibase 'u'."""
        comprimido = gzip.compress(bytes(self.datos), mtime=0)
        return PREFIJO_MULTIBASE + base64.urlsafe_b64encode(comprimido).rstrip(b"=").decode()

    @classmethod
    def decodificar(cls, codificada: str) -> "ListaEstado":
        if not codificada.startswith(PREFIJO_MULTIBASE):
            raise ValueError("La lista codificada no empieza con el prefijo multibase 'u'.")
        texto = codificada[1:]
        comprimido = base64.urlsafe_b64decode(texto + "=" * (-len(texto) % 4))
        datos = _descomprimir(comprimido)
        if len(datos) * 8 < TAMANO:
            raise ValueError(f"La lista de estado tiene menos de {TAMANO} bits.")
        return cls(datos)


def _descomprimir(comprimido: bytes) -> bytes:
    """GZIP con tope, para que una lista maliciosa no agote la memoria."""
    descompresor = zlib.decompressobj(wbits=31)
    datos = descompresor.decompress(comprimido, LIMITE)
    if descompresor.unconsumed_tail or not descompresor.eof:
        raise ValueError("La lista de estado comprimida está truncada o es demasiado grande.")
    return datos


def credencial_lista(lista: ListaEstado, *, url: str, emisor: Emisor, emitida_en: datetime) -> dict:
    """La BitstringStatusListCredential sin firmar; se firma con `credencial.firmar`."""
    return {
        "@context": [CONTEXTO_VC],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": emisor.perfil_id, "name": emisor.nombre},
        "validFrom": iso(emitida_en),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": lista.codificar(),
        },
    }
