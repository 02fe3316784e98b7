"""El administrador de Kafka (AdminClient de confluent-kafka) en pocas operaciones idempotentes."""

from __future__ import annotations

import logging
import time

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AdminClient,
                                   AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic, ResourcePatternType,
                                   ResourceType, ScramCredentialInfo, ScramMechanism, UserScramCredentialDeletion,
                                   UserScramCredentialUpsertion)

from esquemas.ingreso import institucion_del_topico
from plataforma.kafka import ConexionKafka
from plataforma.permisos import Permiso

PLAZO_S = 15.0
ITERACIONES_SCRAM = 8192
TIEMPO_DEL_BROKER = {"message.timestamp.type": "LogAppendTime"}
# Lo que escribe una institución se guarda sin comprimir, lo mande como lo mande: el broker descomprime lo que
# llegue comprimido (con cualquier códec de Kafka) y lo rechaza si así pasa del límite de tamaño. Los servicios
# nunca ven un códec que no sepan leer ni un lote que crezca al leerlo.
INGRESO_SIN_COMPRIMIR = {"compression.type": "uncompressed"}
log = logging.getLogger("alva.provision")
log.addHandler(logging.NullHandler())  # librdkafka informa aquí; los errores que importan llegan como ErrorProvision
_RECURSOS = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP}
_PATRONES = {"literal": ResourcePatternType.LITERAL, "prefixed": ResourcePatternType.PREFIXED}


def config_de(topico: str) -> dict[str, str]:
    """La configuración que la plataforma exige a `topico`."""
    return TIEMPO_DEL_BROKER | (INGRESO_SIN_COMPRIMIR if institucion_del_topico(topico) else {})


class ErrorProvision(RuntimeError):
    """Kafka no aceptó una operación de aprovisionamiento; el mensaje dice cuál y por qué."""


def _esperar(futuro, que: str, *ignorar: int):
    try:
        return futuro.result()
    except KafkaException as e:
        error: KafkaError = e.args[0]
        if error.code() in ignorar:
            return None
        raise ErrorProvision(f"{que}: {error.str()}") from None


def _binding(p: Permiso) -> AclBinding:
    return AclBinding(_RECURSOS[p.recurso], p.nombre, _PATRONES[p.patron], f"User:{p.principal}", "*",
                      AclOperation[p.operacion], AclPermissionType.ALLOW)


def _permiso(b: AclBinding) -> Permiso | None:
    recurso = {v: k for k, v in _RECURSOS.items()}.get(b.restype)
    patron = {v: k for k, v in _PATRONES.items()}.get(b.resource_pattern_type)
    if (recurso and patron and b.host == "*" and b.permission_type == AclPermissionType.ALLOW
            and b.principal.startswith("User:")):
        return Permiso(b.principal.removeprefix("User:"), recurso, b.name, patron, b.operation.name)
    return None


class AdminKafka:
    """Un AdminClient autenticado como el administrador (super usuario)."""

    def __init__(self, conexion: ConexionKafka) -> None:
        self.conexion = conexion
        self.cliente = AdminClient({**conexion.librdkafka(), "client.id": "alva-provision"},
                                   logger=log)

    def topicos(self) -> set[str]:
        try:
            return set(self.cliente.list_topics(timeout=PLAZO_S).topics)
        except KafkaException as e:
            raise ErrorProvision(f"listar tópicos: {e.args[0].str()}") from None

    def crear_topicos(self, nombres: list[str], particiones: int, replicacion: int) -> None:
        nuevos = [NewTopic(n, num_partitions=particiones, replication_factor=replicacion, config=config_de(n))
                  for n in nombres]
        for nombre, futuro in self.cliente.create_topics(nuevos, operation_timeout=PLAZO_S,
                                                         request_timeout=PLAZO_S).items():
            _esperar(futuro, f"crear {nombre}", KafkaError.TOPIC_ALREADY_EXISTS)

    def desajustados(self, nombres: list[str]) -> list[str]:
        """De `nombres`, los tópicos cuya configuración no es la que exige `config_de` (p. ej. los de una versión
        anterior de ALVA)."""
        recursos = [ConfigResource(ResourceType.TOPIC, n) for n in nombres]
        if not recursos:
            return []
        faltan = []
        for recurso, futuro in self.cliente.describe_configs(recursos, request_timeout=PLAZO_S).items():
            entradas = _esperar(futuro, f"leer la configuración de {recurso.name}")
            if any(entradas[k].value != v for k, v in config_de(recurso.name).items()):
                faltan.append(recurso.name)
        return faltan

    def ajustar(self, nombres: list[str]) -> None:
        recursos = [ConfigResource(ResourceType.TOPIC, n, incremental_configs=[
            ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in config_de(n).items()])
            for n in nombres]
        for recurso, futuro in self.cliente.incremental_alter_configs(recursos, request_timeout=PLAZO_S).items():
            _esperar(futuro, f"configurar {recurso.name}")

    def usuarios(self) -> dict[str, list[ScramMechanism]]:
        """Cada usuario SCRAM con sus mecanismos."""
        descripciones = _esperar(self.cliente.describe_user_scram_credentials(request_timeout=PLAZO_S),
                                 "listar usuarios SCRAM") or {}
        return {u: [i.mechanism for i in d.scram_credential_infos] for u, d in descripciones.items()}

    def poner_clave(self, usuario: str, clave: str) -> None:
        """Crea el usuario SCRAM-SHA-512 o le cambia la clave."""
        info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, ITERACIONES_SCRAM)
        cambio = UserScramCredentialUpsertion(usuario, info, clave.encode())
        for u, futuro in self.cliente.alter_user_scram_credentials([cambio], request_timeout=PLAZO_S).items():
            _esperar(futuro, f"poner la clave de {u}")

    def borrar_usuario(self, usuario: str, mecanismos: list[ScramMechanism]) -> None:
        borrados = [UserScramCredentialDeletion(usuario, m) for m in mecanismos]
        for u, futuro in self.cliente.alter_user_scram_credentials(borrados, request_timeout=PLAZO_S).items():
            _esperar(futuro, f"borrar el usuario {u}")

    def permisos(self) -> set[Permiso]:
        filtro = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY,
                                  AclPermissionType.ANY)
        bindings = _esperar(self.cliente.describe_acls(filtro, request_timeout=PLAZO_S), "listar ACLs") or []
        return {p for p in map(_permiso, bindings) if p is not None}

    def crear_permisos(self, permisos: list[Permiso]) -> None:
        if not permisos:
            return
        for binding, futuro in self.cliente.create_acls([_binding(p) for p in permisos],
                                                        request_timeout=PLAZO_S).items():
            _esperar(futuro, f"crear la ACL {binding}")

    def borrar_permisos_de(self, principal: str) -> int:
        """Borra todas las ACLs de `principal`; devuelve cuántas."""
        filtro = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, f"User:{principal}", None,
                                  AclOperation.ANY, AclPermissionType.ANY)
        futuros = self.cliente.delete_acls([filtro], request_timeout=PLAZO_S)
        return sum(len(_esperar(f, f"borrar las ACLs de {principal}") or []) for f in futuros.values())


def esperar_credencial(conexion: ConexionKafka, topico: str, plazo_s: float = PLAZO_S) -> None:
    """Espera a que el broker acepte la credencial de `conexion` y le deje ver `topico`: tras crear un usuario,
    una clave o una ACL, el broker tarda unos milisegundos en aplicarlos."""
    limite, motivo = time.monotonic() + plazo_s, "sin respuesta"
    while time.monotonic() < limite:
        cliente = AdminClient({**conexion.librdkafka(), "client.id": "alva-provision"}, logger=log)
        try:
            error = cliente.list_topics(topico, timeout=2).topics[topico].error
            if error is None:
                return
            motivo = error.str()
        except KafkaException as e:
            motivo = e.args[0].str()
        time.sleep(0.1)
    raise ErrorProvision(f"el broker no acepta aún a {conexion.usuario} en {topico} ({motivo})")
