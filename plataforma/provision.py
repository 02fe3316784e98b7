"""Aprovisionamiento de Kafka: tópicos, principales, ACLs y el alta, rotación y revocación de instituciones."""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Callable
from pathlib import Path

from plataforma.embebido import escribir_secreto
from plataforma.admin_kafka import AdminKafka, ErrorProvision, esperar_credencial
from plataforma.control import publicar_alta
from plataforma.kafka import ConexionKafka
from plataforma.permisos import (CANONICOS, OPERADOR, SERVICIOS, TOPICO_REENVIOS, TOPICOS_PLATAFORMA, exigir_id,
                                 permisos_institucion, permisos_operador, permisos_servicio, principal_institucion,
                                 principal_servicio, topicos_institucion)

__all__ = ["Credenciales", "ErrorProvision", "InstitucionDesconocida", "Preparacion", "Revocacion",
           "alta_institucion", "preparar", "revocar", "rotar"]


class InstitucionDesconocida(ErrorProvision):
    """La institución no tiene usuario en Kafka: no fue dada de alta, o ya se revocó."""


@dataclasses.dataclass(frozen=True)
class Credenciales:
    institucion: str
    usuario: str
    clave: str | None = dataclasses.field(repr=False)  # sólo al crearla o rotarla: se muestra una vez
    estado: str  # "creada", "ya existe" o "rotada"
    topicos: tuple[str, ...]
    archivos: tuple[Path, ...] = ()  # <usuario>.json, .properties (kcat) y .aiokafka.json, 0600


@dataclasses.dataclass
class Preparacion:
    topicos: list[str] = dataclasses.field(default_factory=list)  # creados, o con su configuración ajustada
    principales: list[str] = dataclasses.field(default_factory=list)
    acls: int = 0
    instituciones: list[Credenciales] = dataclasses.field(default_factory=list)
    claves: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)  # si no hubo carpeta donde guardarlas

    def __bool__(self) -> bool:
        return bool(self.topicos or self.principales or self.acls)

    def __str__(self) -> str:
        return (f"{len(self.topicos)} topic(s), {len(self.principales)} principal(s) "
                f"({', '.join(self.principales) or '-'}), {self.acls} ACL(s)")


@dataclasses.dataclass(frozen=True)
class Revocacion:
    usuario: str
    usuario_borrado: bool
    acls_borradas: int
    archivos_borrados: tuple[Path, ...]


def _clave_nueva() -> str:
    return secrets.token_urlsafe(32)


def _archivos(carpeta: Path, usuario: str) -> tuple[Path, Path, Path]:
    return carpeta / f"{usuario}.json", carpeta / f"{usuario}.properties", carpeta / f"{usuario}.aiokafka.json"


def _guardar(carpeta: Path, conexion: ConexionKafka) -> tuple[Path, ...]:
    """La clave y la configuración de cliente de un principal, para kcat/librdkafka y para aiokafka (0600)."""
    secreto, propiedades, ajustes = _archivos(carpeta, conexion.usuario)
    escribir_secreto(secreto, json.dumps({"usuario": conexion.usuario, "clave": conexion.clave}) + "\n")
    escribir_secreto(propiedades, conexion.propiedades())
    escribir_secreto(ajustes, json.dumps(conexion.ajustes_aiokafka(), indent=2) + "\n")
    return secreto, propiedades, ajustes


def _guardada(carpeta: Path | None, usuario: str) -> str | None:
    if carpeta is None:
        return None
    try:
        return json.loads(_archivos(carpeta, usuario)[0].read_text())["clave"]
    except (OSError, ValueError, KeyError):
        return None


def _asegurar_topicos(k: AdminKafka, existentes: set[str], nombres: list[str], particiones: int,
                      replicacion: int) -> list[str]:
    """Crea los que faltan y ajusta la configuración de los que no la tienen (hora del broker; los ingresos, sin
    comprimir); devuelve los que tocó."""
    faltan = [n for n in nombres if n not in existentes]
    if faltan:
        k.crear_topicos(faltan, particiones, replicacion)
    ajenos = k.desajustados([n for n in nombres if n in existentes])
    if ajenos:
        k.ajustar(ajenos)
    existentes.update(faltan)
    return faltan + ajenos


def _sin_seguridad(k: AdminKafka) -> bool:
    """Un Kafka propio sin autenticación (PLAINTEXT): no hay usuarios ni ACLs que poner, sólo tópicos y avisos."""
    return k.conexion.protocolo == "PLAINTEXT"


def _asegurar_permisos(k: AdminKafka, existentes: set, permisos: list) -> int:
    if _sin_seguridad(k):
        return 0
    faltan = sorted(set(permisos) - existentes)
    k.crear_permisos(faltan)
    existentes.update(faltan)
    return len(faltan)


def _asegurar_principal(k: AdminKafka, usuarios: dict, usuario: str, carpeta: Path | None,
                        cliente: ConexionKafka) -> str | None:
    """Crea el usuario si falta (con la clave guardada, si la hay); devuelve la clave si la puso.

    A un usuario que ya existe nunca se le cambia la clave, aunque `carpeta` no la tenga: eso es `rotar`."""
    if _sin_seguridad(k):
        return None
    guardada = _guardada(carpeta, usuario)
    if usuario in usuarios:
        if guardada and not all(a.is_file() for a in _archivos(carpeta, usuario)):
            _guardar(carpeta, dataclasses.replace(cliente, usuario=usuario, clave=guardada))
        return None
    clave = guardada or _clave_nueva()
    if carpeta is not None:
        _guardar(carpeta, dataclasses.replace(cliente, usuario=usuario, clave=clave))
    k.poner_clave(usuario, clave)
    usuarios[usuario] = []
    return clave


def preparar(admin: ConexionKafka, *, otorgantes: list[str], particiones: int = 3, replicacion: int = 1,
             carpeta_credenciales: Path | None = None, bootstrap_clientes: str | None = None) -> Preparacion:
    """Deja la plataforma lista y devuelve lo que creó: tópicos, principales de servicios y operador, ACLs y
    el alta de cada otorgante. Lo que ya existe se respeta (las claves guardadas siguen valiendo)."""
    k, hecho = AdminKafka(admin), Preparacion()
    cliente = dataclasses.replace(admin, bootstrap=bootstrap_clientes or admin.bootstrap)
    topicos = k.topicos()
    usuarios, permisos = ({}, set()) if _sin_seguridad(k) else (k.usuarios(), k.permisos())
    hecho.topicos = _asegurar_topicos(k, topicos, list(TOPICOS_PLATAFORMA), particiones, replicacion)
    ultima = None  # la última credencial creada: cuando el broker la acepta, ya aplicó las anteriores
    propios = {**{principal_servicio(s): t for s, t in CANONICOS.items()}, OPERADOR: TOPICO_REENVIOS}
    for usuario, topico in propios.items():
        if (clave := _asegurar_principal(k, usuarios, usuario, carpeta_credenciales, cliente)) is not None:
            hecho.principales.append(usuario)
            ultima = (dataclasses.replace(admin, usuario=usuario, clave=clave), topico)
            if carpeta_credenciales is None:
                hecho.claves[usuario] = clave
    matriz = [p for s in SERVICIOS for p in permisos_servicio(s)] + permisos_operador(otorgantes)
    hecho.acls = _asegurar_permisos(k, permisos, matriz)
    for otorgante in otorgantes:
        alta = _alta(k, (topicos, usuarios, permisos), otorgante, particiones, replicacion,
                     carpeta_credenciales, cliente)
        hecho.instituciones.append(alta.credenciales)
        hecho.topicos += alta.topicos
        hecho.acls += alta.acls
        if alta.credenciales.estado == "creada":
            hecho.principales.append(alta.credenciales.usuario)
            ultima = (dataclasses.replace(admin, usuario=alta.credenciales.usuario, clave=alta.credenciales.clave),
                      alta.credenciales.topicos[0])
    if ultima is not None:
        esperar_credencial(*ultima)
    return hecho


@dataclasses.dataclass(frozen=True)
class _Alta:
    credenciales: Credenciales
    topicos: list[str]
    acls: int


def _alta(k: AdminKafka, estado: tuple, institucion: str, particiones: int, replicacion: int,
          carpeta: Path | None, cliente: ConexionKafka) -> _Alta:
    topicos, usuarios, permisos = estado
    usuario, nombres = principal_institucion(institucion), list(topicos_institucion(institucion))
    tocados = _asegurar_topicos(k, topicos, nombres, particiones, replicacion)
    clave, archivos = None, ()
    if _sin_seguridad(k):
        pass
    elif usuario not in usuarios:
        clave = _clave_nueva()
        if carpeta is not None:  # primero en disco: si Kafka falla, el próximo alta la reemplaza
            archivos = _guardar(carpeta, dataclasses.replace(cliente, usuario=usuario, clave=clave))
        k.poner_clave(usuario, clave)
        usuarios[usuario] = []
    elif carpeta is not None:
        archivos = tuple(a for a in _archivos(carpeta, usuario) if a.is_file())
    acls = _asegurar_permisos(k, permisos, permisos_institucion(institucion))
    publicar_alta(k.conexion, institucion)  # los servicios la escuchan desde ya (y lo de su ingreso no espera)
    credenciales = Credenciales(institucion, usuario, clave, "creada" if clave else "ya existe", tuple(nombres),
                                archivos)
    return _Alta(credenciales, tocados, acls)


def alta_institucion(admin: ConexionKafka, institucion: str, *, particiones: int = 3, replicacion: int = 1,
                     carpeta_credenciales: Path | None = None, bootstrap_clientes: str | None = None,
                     al_dar_de_alta: Callable[[Credenciales], object] | None = None) -> Credenciales:
    """Da de alta a una institución: sus tres tópicos, su usuario SCRAM con una clave fuerte, sus ACLs y las que
    dejan a los servicios escribir la DLQ de su ingreso. Si ya existe, no cambia su clave ("ya existe").

    `al_dar_de_alta` se llama al final de cada alta, también si ya existía: lo que haga debe ser idempotente."""
    exigir_id(institucion)
    k = AdminKafka(admin)
    cliente = dataclasses.replace(admin, bootstrap=bootstrap_clientes or admin.bootstrap)
    estado = (k.topicos(), {}, set()) if _sin_seguridad(k) else (k.topicos(), k.usuarios(), k.permisos())
    alta = _alta(k, estado, institucion, particiones, replicacion, carpeta_credenciales, cliente)
    if alta.credenciales.clave is not None:
        esperar_credencial(dataclasses.replace(admin, usuario=alta.credenciales.usuario, clave=alta.credenciales.clave),
                           alta.credenciales.topicos[0])
    if al_dar_de_alta is not None:
        al_dar_de_alta(alta.credenciales)
    return alta.credenciales


def rotar(admin: ConexionKafka, institucion: str, *, carpeta_credenciales: Path | None = None,
          bootstrap_clientes: str | None = None) -> Credenciales:
    """Una clave nueva para la institución; la anterior deja de servir para conectarse."""
    usuario, k = principal_institucion(exigir_id(institucion)), AdminKafka(admin)
    if usuario not in k.usuarios():
        raise InstitucionDesconocida(f"{usuario} no existe en Kafka: dé de alta a '{institucion}' primero")
    clave, archivos = _clave_nueva(), ()
    if carpeta_credenciales is not None:
        cliente = dataclasses.replace(admin, bootstrap=bootstrap_clientes or admin.bootstrap)
        archivos = _guardar(carpeta_credenciales, dataclasses.replace(cliente, usuario=usuario, clave=clave))
    k.poner_clave(usuario, clave)
    esperar_credencial(dataclasses.replace(admin, usuario=usuario, clave=clave), topicos_institucion(institucion)[0])
    return Credenciales(institucion, usuario, clave, "rotada", topicos_institucion(institucion), archivos)


def revocar(admin: ConexionKafka, institucion: str, *, carpeta_credenciales: Path | None = None) -> Revocacion:
    """Borra el usuario de la institución y todas sus ACLs (efecto inmediato, también en conexiones abiertas);
    sus tópicos y lo que contienen se quedan."""
    usuario, k = principal_institucion(exigir_id(institucion)), AdminKafka(admin)
    mecanismos = k.usuarios().get(usuario)
    acls = k.borrar_permisos_de(usuario)
    if mecanismos:
        k.borrar_usuario(usuario, mecanismos)
    borrados = []
    for archivo in _archivos(carpeta_credenciales, usuario) if carpeta_credenciales is not None else ():
        if archivo.is_file():
            archivo.unlink()
            borrados.append(archivo)
    if mecanismos is None and not acls:
        raise InstitucionDesconocida(f"{usuario} no tiene usuario ni ACLs en Kafka: nada que revocar")
    return Revocacion(usuario, mecanismos is not None, acls, tuple(borrados))
