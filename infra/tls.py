"""TLS de Kafka: una autoridad propia y el certificado del broker (PEM, claves 0600), generados con `cryptography`."""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import pathlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from infra.comun import escribir_secreto

VIGENCIA_CA = datetime.timedelta(days=3650)
VIGENCIA_BROKER = datetime.timedelta(days=825)
RENOVAR_ANTES = datetime.timedelta(days=30)


@dataclasses.dataclass(frozen=True)
class RutasTLS:
    ca: pathlib.Path  # certificado de la autoridad: lo que los clientes necesitan
    ca_clave: pathlib.Path  # clave de la autoridad (0600)
    broker: pathlib.Path  # clave + certificado + autoridad del broker, el "keystore" PEM de Kafka (0600)

    @classmethod
    def en(cls, carpeta: pathlib.Path) -> RutasTLS:
        return cls(carpeta / "ca.pem", carpeta / "ca-clave.pem", carpeta / "broker.pem")


def asegurar(carpeta: pathlib.Path, *, dns: tuple[str, ...] = ("localhost",),
             ips: tuple[str, ...] = ("127.0.0.1",)) -> RutasTLS:
    """Crea la autoridad si falta y el certificado del broker si falta, vence pronto o no nombra `dns`/`ips`."""
    rutas = RutasTLS.en(carpeta)
    if not (rutas.ca.is_file() and rutas.ca_clave.is_file()):
        _crear_autoridad(rutas)
    if not _broker_vigente(rutas, dns, ips):
        _crear_broker(rutas, dns, ips)
    return rutas


def _nombre(comun: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ALVA"),
                      x509.NameAttribute(NameOID.COMMON_NAME, comun)])


def _pem_clave(clave: ec.EllipticCurvePrivateKey) -> bytes:
    return clave.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())


def _crear_autoridad(rutas: RutasTLS) -> None:
    clave, ahora = ec.generate_private_key(ec.SECP256R1()), datetime.datetime.now(datetime.UTC)
    certificado = (
        x509.CertificateBuilder().subject_name(_nombre("ALVA CA")).issuer_name(_nombre("ALVA CA"))
        .public_key(clave.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(ahora - datetime.timedelta(minutes=5)).not_valid_after(ahora + VIGENCIA_CA)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(clave.public_key()), critical=False)
        .sign(clave, hashes.SHA256())
    )
    escribir_secreto(rutas.ca_clave, _pem_clave(clave))
    rutas.ca.parent.mkdir(parents=True, exist_ok=True)
    rutas.ca.write_bytes(certificado.public_bytes(serialization.Encoding.PEM))
    rutas.broker.unlink(missing_ok=True)  # firmado por otra autoridad: ya no sirve


def _broker_vigente(rutas: RutasTLS, dns: tuple[str, ...], ips: tuple[str, ...]) -> bool:
    try:
        certificado = x509.load_pem_x509_certificate(rutas.broker.read_bytes())
        ca = x509.load_pem_x509_certificate(rutas.ca.read_bytes())
        nombres = certificado.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    vence = certificado.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    return (certificado.issuer == ca.subject and vence > RENOVAR_ANTES
            and set(nombres.get_values_for_type(x509.DNSName)) >= set(dns)
            and {str(i) for i in nombres.get_values_for_type(x509.IPAddress)} >= set(ips))


def _crear_broker(rutas: RutasTLS, dns: tuple[str, ...], ips: tuple[str, ...]) -> None:
    ca_clave = serialization.load_pem_private_key(rutas.ca_clave.read_bytes(), password=None)
    ca = x509.load_pem_x509_certificate(rutas.ca.read_bytes())
    clave, ahora = ec.generate_private_key(ec.SECP256R1()), datetime.datetime.now(datetime.UTC)
    nombres = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    certificado = (
        x509.CertificateBuilder().subject_name(_nombre(dns[0] if dns else ips[0])).issuer_name(ca.subject)
        .public_key(clave.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(ahora - datetime.timedelta(minutes=5)).not_valid_after(ahora + VIGENCIA_BROKER)
        .add_extension(x509.SubjectAlternativeName(nombres), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), critical=False)
        .sign(ca_clave, hashes.SHA256())
    )
    cadena = certificado.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    escribir_secreto(rutas.broker, _pem_clave(clave) + cadena)
