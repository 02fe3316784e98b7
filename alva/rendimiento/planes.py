"""Qué recibe cada servicio cuando se mide solo: lo que debe saber antes (su estado de partida) y, por ronda, la
entrada que lo ocupa, escrita tal como la publicarían el otorgante, las instituciones y los otros servicios."""

from dataclasses import dataclass

from alva.rendimiento import carga
from alva.rendimiento.carga import Convenio, Mensaje


@dataclass(frozen=True)
class Ronda:
    mensajes: list[Mensaje]
    reportes: int  # reportes de sesión que representa la entrada
    esperados: int  # eventos que el servicio debe publicar en su tópico para darla por terminada


@dataclass(frozen=True)
class Plan:
    servicio: str
    base: str  # la línea base con el mismo abanico (fase raw)
    por_reporte: str  # qué se compara con la base: "reportes", "eventos" de entrada o de "salida"
    preparar: list[Mensaje]
    esperados_preparar: int
    rondas: list[Ronda]


def _convenios(banco, etiqueta: str, reportes: int) -> list[Convenio]:
    return carga.convenios(f"REND-{banco.corrida}-{etiqueta}", banco.instituciones, len(banco.instituciones),
                           reportes, banco.hoy)


def capacitacion(banco, n: int, rondas: int, etiqueta: str = "cap") -> Plan:
    """Los `convenio.firmado` de convenios, luego reportes de sesión por los tópicos de ingreso: 1 → 4."""
    convenios = _convenios(banco, etiqueta, 10 * n * rondas)
    rondas_ = [Ronda(carga.sesiones(convenios, n, f"{banco.corrida}{etiqueta}{r}"), n, 4 * n)
               for r in range(1, rondas + 1)]
    return Plan("capacitacion", "abanico", "reportes", [c.firmado(c.reporte()) for c in convenios], 0, rondas_)


def convenios(banco, n: int, rondas: int) -> Plan:
    """Los convenios por el ingreso del otorgante, luego lo que capacitación publica por cada sesión (la sesión y
    tres constancias); cada sesión avanza dos objetivos."""
    convenios_ = _convenios(banco, "conv", 10 * n * rondas)
    rondas_ = [Ronda([h for s in carga.sesiones(convenios_, n, f"{banco.corrida}conv{r}")
                      for h in carga.de_capacitacion(s)], n, 2 * n) for r in range(1, rondas + 1)]
    return Plan("convenios", "copia", "eventos", [c.reporte() for c in convenios_], len(convenios_), rondas_)


def distintivos(banco, n: int, rondas: int) -> Plan:
    """Por ronda, convenios nuevos que se cumplen con su último reporte: su `convenio.firmado`, lo que capacitación
    publica por cada sesión y el avance (y al final, el cumplimiento) de sus objetivos; se otorga cada uno."""
    return Plan("distintivos", "copia", "eventos", [], 0,
                [_ronda_distintivos(banco, n, r) for r in range(1, rondas + 1)])


def _ronda_distintivos(banco, n: int, r: int) -> Ronda:
    convenios_ = _convenios(banco, f"dist{r}", max(1, n // len(banco.instituciones)))
    mensajes = [c.firmado(c.reporte()) for c in convenios_]
    cuenta = dict.fromkeys(range(len(convenios_)), 0)
    sesiones = carga.sesiones(convenios_, len(convenios_) * convenios_[0].reportes,
                              f"{banco.corrida}dist{r}")
    for k, sesion in enumerate(sesiones):
        cuenta[k % len(convenios_)] += 1  # carga.sesiones reparte por turnos
        hechos = carga.de_capacitacion(sesion)
        mensajes += hechos + convenios_[k % len(convenios_)].avances(hechos[0], cuenta[k % len(convenios_)])
    return Ronda(mensajes, len(sesiones), len(convenios_))


def notificaciones(banco, n: int, rondas: int) -> Plan:
    """Los `convenio.firmado` (sus contactos reciben un correo cada uno), luego hechos que avisan a alguien: objetivos
    cumplidos y distintivos otorgados, un correo por hecho (1 → 1), y reportes rechazados, que se anotan para el
    resumen del periodo (ningún correo por cada uno). Se compara con la base que envía un correo por mensaje: lo
    que publica (un `notificacion.enviada` por correo entregado) contra los correos por segundo de la base."""
    convenios_ = _convenios(banco, "notif", 10 * n * rondas)
    return Plan("notificaciones", "correo", "salida", [c.firmado(c.reporte()) for c in convenios_], len(convenios_),
                [Ronda(_avisos(convenios_, n, f"{banco.corrida}notif{r}"), n, _con_correo(n))
                 for r in range(1, rondas + 1)])


def _con_correo(n: int) -> int:
    """De los `n` avisos que arma `_avisos` (cumplido, otorgado, rechazo, …), los que salen como correo al momento."""
    return sum(1 for k in range(n) if k % 3 != 2)


def _avisos(convenios_: list[Convenio], n: int, etiqueta: str) -> list[Mensaje]:
    mensajes = []
    for k, sesion in enumerate(carga.sesiones(convenios_, n, etiqueta)):
        convenio = convenios_[k % len(convenios_)]
        hacer = (convenio.cumplido, convenio.otorgado, lambda causa: carga.rechazo(causa, k))[k % 3]
        mensajes.append(hacer(sesion))
    return mensajes


PLANES = {"capacitacion": capacitacion, "convenios": convenios, "distintivos": distintivos,
          "notificaciones": notificaciones}
