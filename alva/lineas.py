"""Una línea legible por evento: hora, tópico, tipo, institución y lo esencial de sus datos."""

from collections.abc import Callable

from esquemas import CloudEvent

ESENCIAL: dict[str, Callable[[dict], str]] = {
    "ingreso.convenio.firmado": lambda d: f"{d['convenio_id']} · {d['institucion']['nombre']} · "
                                          f"{len(d['objetivos'])} objetivo(s)",
    "ingreso.sesion.completada": lambda d: f"{d['sesion_id']} · «{d['tema']}» · {len(d['asistentes'])} asistentes",
    "convenios.convenio.firmado": lambda d: f"{d['convenio_id']} · vigente {d['vigencia']['inicio']} a "
                                            f"{d['vigencia']['fin']}",
    "convenios.objetivo.avanzado": lambda d: f"{d['objetivo_id']} · {d['valor']:g}/{d['meta']:g}",
    "convenios.objetivo.cumplido": lambda d: f"{d['objetivo_id']} · {d['valor']:g}/{d['meta']:g} ✔",
    "capacitacion.sesion.completada": lambda d: f"{d['sesion_id']} · {d['modalidad']} · {d['horas']:g} h · "
                                                f"{len(d['asistentes'])} asistentes",
    "capacitacion.constancia.emitida": lambda d: f"{d['asistente']} · sesión {d['sesion_id']}",
    "distintivos.distintivo.evaluado": lambda d: f"{d['convenio_id']} · faltan: {', '.join(d['faltantes']) or 'nada'}",
    "distintivos.distintivo.otorgado": lambda d: f"{d['programa']} · {d['distintivo_id']} · vigente "
                                                 f"{d['vigencia']['inicio']} a {d['vigencia']['fin']}",
    "distintivos.distintivo.revocado": lambda d: f"{d['distintivo_id']} · {d['motivo']}",
    "distintivos.distintivo.vencido": lambda d: f"{d['distintivo_id']} · venció el {d['fecha']}",
    "distintivos.distintivo.renovado": lambda d: f"{d['distintivo_id']} renueva {d['anterior_id']}",
    "distintivos.lista_estado.publicada": lambda d: f"{d['programa']} · {d['revocados']} revocado(s) · {d['url']}",
    "notificaciones.notificacion.enviada": lambda d: f"{d['canal']} a {d['destinatario']} · «{d['asunto']}»",
    "notificaciones.notificacion.fallida": lambda d: f"{d['canal']} a {d['destinatario']} · {d['motivo']}",
    "rechazos.entrada.rechazada": lambda d: f"{d['codigo']} · {d['topico']}@{d['offset']} · {d['motivo']}",
    "respuestas.reporte.respondido": lambda d: (
        f"{tipo_corto(d.get('entrada_tipo') or '?')} aceptado por {d['servicio']}" if d["aceptado"]
        else f"{tipo_corto(d.get('entrada_tipo') or '?')} rechazado por {d['servicio']}: {d['codigo']}"),
    "control.institucion.dada_de_alta": lambda d: f"{d['institucion']} · {d['topico']}",
}


def tipo_corto(tipo: str) -> str:
    """`mx.alva.capacitacion.sesion.completada.v1` → `capacitacion.sesion.completada`."""
    partes = tipo.split(".")
    return ".".join(partes[2:-1]) if tipo.startswith("mx.alva.") and len(partes) > 3 else tipo


def detalle(evento: CloudEvent) -> str:
    """Lo esencial de sus datos, en pocas palabras."""
    corto = tipo_corto(evento.type)
    try:
        return ESENCIAL[corto](evento.data) if corto in ESENCIAL else ""
    except (KeyError, TypeError, ValueError):
        return "(datos incompletos)"


def linea(evento: CloudEvent, topico: str) -> str:
    corto, detalle_ = tipo_corto(evento.type), detalle(evento)
    hora = evento.time.astimezone().strftime("%H:%M:%S.%f")[:-3] if evento.time else "--:--:--.---"
    return f"{hora}  {topico:<28} {corto:<34} {evento.institucion:<16} {detalle_}"
