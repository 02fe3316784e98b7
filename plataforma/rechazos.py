"""Rechazos: un `EntradaRechazada` por entrada refusada y, si ni se pudo leer, su copia cruda en `<tópico>.dlq`."""

from esquemas import CloudEvent, topico_de
from esquemas.ingreso import institucion_del_topico
from esquemas.rechazos import EntradaRechazada, topico_dlq
from plataforma import outbox
from plataforma.nube import Entrada, nuevo_evento


class Rechazo(Exception):
    """Una regla del dominio no aceptó la entrada; `motivo` le dice a quien la envió qué corregir."""

    def __init__(self, codigo: str, motivo: str, campo: str | None = None) -> None:
        super().__init__(motivo)
        self.codigo, self.motivo, self.campo = codigo, motivo, campo


class Aplazar(Exception):
    """Aún falta algo que debe llegar (`clave`, p. ej. `convenio:<id>`): la entrada espera en vez de rechazarse.

    Si no llega en el plazo, se rechaza con este código y motivo.
    """

    def __init__(self, clave: str, codigo: str, motivo: str) -> None:
        super().__init__(motivo)
        self.clave, self.codigo, self.motivo = clave, codigo, motivo


def mensajes_de_rechazo(entrada: Entrada, rechazo: Rechazo, servicio: str, *, a_dlq: bool) -> list[outbox.Mensaje]:
    evento = entrada.evento
    datos = EntradaRechazada(
        entrada_id=str(evento.id) if evento else None,
        entrada_tipo=evento.type if evento else None,
        topico=entrada.topico,
        particion=entrada.particion,
        offset=entrada.offset,
        codigo=rechazo.codigo,
        motivo=rechazo.motivo,
        campo=rechazo.campo,
        servicio=servicio,
    )
    institucion = institucion_del_topico(entrada.topico) or (evento.institucion if evento else "alva")
    rechazo_evento: CloudEvent = nuevo_evento(datos, institucion=institucion, servicio=servicio, causa=evento,
                                              subject=entrada.topico)
    mensajes = [outbox.Mensaje.de_evento(topico_de(datos), rechazo_evento)]
    if a_dlq:
        mensajes.append(outbox.Mensaje(topico_dlq(entrada.topico), entrada.llave, entrada.valor, entrada.cabeceras + (
            ("alva-error-codigo", rechazo.codigo.encode()),
            ("alva-error-motivo", rechazo.motivo.encode()),
            ("alva-topico-original", entrada.topico.encode()),
            ("alva-particion-original", str(entrada.particion).encode()),
            ("alva-offset-original", str(entrada.offset).encode()),
            ("alva-servicio", servicio.encode()),
            ("alva-rechazo-id", str(rechazo_evento.id).encode()),
        )))
    return mensajes
