"""Rechazos y desenlaces: un `EntradaRechazada` por entrada refusada, el desenlace de cada reporte para quien lo
envió, y la copia cruda (que siempre cabe) en `<tópico>.dlq` de lo que ni se pudo leer."""

import hashlib
from datetime import datetime

from esquemas.rechazos import EntradaRechazada, TOPICO as TOPICO_RECHAZOS, topico_dlq
from esquemas.respuestas import ReporteRespondido, topico_respuestas
from plataforma.nube import LIMITE_BYTES, Entrada, Mensaje, armar, id_de_hecho, mensaje

MOTIVO_MAX = 1000
CABECERAS_MAX = 20  # de la entrada original, en su copia a la DLQ
CABECERA_MAX = 1000  # bytes de cada una


class Rechazo(Exception):
    """Una regla del dominio no aceptó la entrada; `motivo` le dice a quien la envió qué corregir."""

    def __init__(self, codigo: str, motivo: str, campo: str | None = None) -> None:
        super().__init__(motivo)
        self.codigo, self.motivo, self.campo = codigo, motivo[:MOTIVO_MAX], campo


class Aplazar(Exception):
    """Aún falta algo que debe llegar (`clave`, p. ej. `convenio:<id>`): la entrada espera en vez de rechazarse.

    Si no llega en el plazo, se rechaza con este código y motivo.
    """

    def __init__(self, clave: str, codigo: str, motivo: str) -> None:
        super().__init__(motivo)
        self.clave, self.codigo, self.motivo = clave, codigo, motivo


def _ids(entrada: Entrada) -> tuple[str | None, str | None]:
    evento = entrada.evento
    return (evento.id, evento.type) if evento is not None else (None, None)


def institucion_de(entrada: Entrada) -> str:
    """A quién se le rechaza: la dueña del ingreso, o la que dice el evento, o la plataforma."""
    return entrada.institucion or (entrada.evento.institucion if entrada.evento else "alva")


def rechazo(entrada: Entrada, r: Rechazo, servicio: str, cuando: datetime) -> Mensaje:
    entrada_id, entrada_tipo = _ids(entrada)
    datos = EntradaRechazada(entrada_id=entrada_id, entrada_tipo=entrada_tipo, topico=entrada.topico,
                             particion=entrada.particion, offset=entrada.offset, codigo=r.codigo, motivo=r.motivo,
                             campo=r.campo, servicio=servicio)
    return mensaje(TOPICO_RECHAZOS, armar(
        EntradaRechazada.tipo, datos.model_dump(mode="json"), id_=id_rechazo(entrada, servicio),
        institucion=institucion_de(entrada), servicio=servicio, cuando=cuando, subject=entrada.topico,
        correlacion=_correlacion(entrada), causa=entrada_id))


def id_rechazo(entrada: Entrada, servicio: str) -> str:
    return id_de_hecho(entrada.clave_inbox, EntradaRechazada.tipo, servicio, 0)


def respuesta(entrada: Entrada, servicio: str, cuando: datetime, *, aceptado: bool, hechos: list[tuple[str, str]] = (),
              r: Rechazo | None = None, repetido: bool = False) -> Mensaje:
    """El desenlace de un reporte, en el tópico de respuestas de su institución (la única que lo lee)."""
    entrada_id, entrada_tipo = _ids(entrada)
    institucion = entrada.institucion
    cual = entrada.posicion if repetido else ""
    return mensaje(topico_respuestas(institucion), armar(
        ReporteRespondido.tipo, datos_de_respuesta(entrada, servicio, aceptado=aceptado, hechos=hechos, r=r,
                                                   repetido=repetido),
        id_=id_de_hecho(entrada.clave_inbox, ReporteRespondido.tipo, cual, 0), institucion=institucion,
        servicio=servicio, cuando=cuando, subject=entrada_id, correlacion=_correlacion(entrada), causa=entrada_id))


def datos_de_respuesta(entrada: Entrada, servicio: str, *, aceptado: bool, hechos=(), r: Rechazo | None = None,
                       repetido: bool = False) -> dict:
    """Los datos de `ReporteRespondido` tal como los daría `model_dump(mode="json")` (mismos campos, en su orden),
    sin armar el modelo: sale uno por reporte. Una prueba compara ambos caminos."""
    entrada_id, entrada_tipo = _ids(entrada)
    return {"entrada_id": entrada_id, "entrada_tipo": entrada_tipo, "topico": entrada.topico,
            "particion": entrada.particion, "offset": entrada.offset, "aceptado": aceptado,
            "hechos": [{"id": i, "type": t} for i, t in hechos], "codigo": r and r.codigo, "campo": r and r.campo,
            "motivo": r and r.motivo, "repetido": repetido, "servicio": servicio}


def copia_dlq(entrada: Entrada, r: Rechazo, servicio: str) -> Mensaje:
    """La entrada cruda con el porqué en cabeceras; si no cabría en el broker, truncada, con su tamaño y huella."""
    propias = tuple((k[:200], v[:CABECERA_MAX]) for k, v in entrada.cabeceras[:CABECERAS_MAX]
                    if not k.startswith("alva-"))
    cabeceras = propias + (
        ("alva-error-codigo", r.codigo.encode()),
        ("alva-error-motivo", r.motivo.encode()),
        ("alva-topico-original", entrada.topico.encode()),
        ("alva-particion-original", str(entrada.particion).encode()),
        ("alva-offset-original", str(entrada.offset).encode()),
        ("alva-marca-original", str(int(entrada.marca.timestamp() * 1000)).encode()),
        ("alva-servicio", servicio.encode()),
        ("alva-rechazo-id", id_rechazo(entrada, servicio).encode()),
        ("alva-sha256", huella_cruda(entrada.valor).encode()),
    )
    llave = (entrada.llave or b"")[:CABECERA_MAX] or None
    valor = entrada.valor
    cabida = LIMITE_BYTES - len(llave or b"") - sum(len(k) + len(v) for k, v in cabeceras) - 200
    if len(valor) > cabida:
        cabeceras += (("alva-truncado", b"true"), ("alva-tamano-original", str(len(valor)).encode()))
        valor = valor[:max(0, cabida)]
    return Mensaje(topico_dlq(entrada.topico), llave, valor, cabeceras)


def huella_cruda(valor: bytes) -> str:
    return hashlib.sha256(valor).hexdigest()


def _correlacion(entrada: Entrada) -> str | None:
    evento = entrada.evento
    return (evento.correlationid or evento.id) if evento is not None else None
