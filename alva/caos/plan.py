"""El plan de una corrida: instituciones, convenios, reportes de sesión (con asistentes repetidos) y reenvíos."""

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from alva.escenario import OTORGANTE, Reporte, reporte
from esquemas.comun import Contacto, Firmante, Institucion, Objetivo, Vigencia
from esquemas.ingreso import ReporteConvenioCancelado, ReporteConvenioFirmado, ReporteSesionCompletada

TEMAS = ("Prevención de la violencia contra las mujeres", "Cero tolerancia al hostigamiento y acoso sexual",
         "Acciones de sensibilización para prevenir la violencia")
META_PARTE = 0.9  # la meta es el 90 % de lo que se enviará: se cumple hacia el final de la carga


@dataclass
class Plan:
    corrida: str
    instituciones: list[str]
    convenios: dict[str, str]  # institución → su convenio ALVA
    inicio: date
    fin: date
    firmas: list[Reporte]  # lo que el otorgante reporta antes de la carga (incluye la cancelación)
    reportes: list[Reporte]  # la carga: sesiones completadas válidas, cada una con su id
    reenvios: dict[int, list[int]]  # tras enviar el reporte k, se reenvían tal cual los reportes j < k
    asistentes: dict[str, set[str]] = field(default_factory=dict)  # convenio → personas distintas enviadas
    sesiones: dict[str, int] = field(default_factory=dict)  # convenio → sesiones enviadas

    @property
    def hostil(self) -> str:
        """La institución desde cuyo tópico llega el catálogo hostil (su convenio nunca cumple)."""
        return f"caos-{self.corrida}-hostil"

    @property
    def convenio_hostil(self) -> str:
        return f"CAOS-{self.corrida}-HOSTIL"

    @property
    def convenio_cancelado(self) -> str:
        return f"CAOS-{self.corrida}-CANCELADO"


def contactos(institucion: str) -> list[Contacto]:
    return [Contacto(nombre="Enlace ALVA", email=f"enlace@{institucion}.example", rol="enlace"),
            Contacto(nombre="Sistemas", email=f"tecnico@{institucion}.example", rol="tecnico")]


def firma(institucion: str, convenio_id: str, inicio: date, fin: date, personas: float, sesiones: float) -> Reporte:
    return reporte(OTORGANTE, ReporteConvenioFirmado(
        convenio_id=convenio_id, programa="ALVA", otorgante=OTORGANTE,
        institucion=Institucion(id=institucion, nombre=f"Institución {institucion}", tipo="municipio"),
        firmantes=[Firmante(nombre="Karla Gabriela Alcaraz Olvera", cargo="Procuradora", institucion=OTORGANTE)],
        fecha_firma=inicio, vigencia=Vigencia(inicio=inicio, fin=fin),
        objetivos=[Objetivo(objetivo_id="personas", descripcion=f"Capacitar a {personas:g} personas",
                            indicador="personas_capacitadas", meta=personas),
                   Objetivo(objetivo_id="sesiones", descripcion=f"Impartir {sesiones:g} sesiones",
                            indicador="sesiones_impartidas", meta=sesiones)],
        contactos=contactos(institucion)))


def sesion(institucion: str, convenio_id: str, sesion_id: str, dia: date, asistentes: list[str], tema: str) -> Reporte:
    return reporte(institucion, ReporteSesionCompletada(
        sesion_id=sesion_id, convenio_id=convenio_id, tema=tema, modalidad="presencial", fecha=dia, horas=2,
        facilitador="PRODHEG, Dirección de Capacitación", asistentes=asistentes))


def armar(corrida: str, instituciones: int, reportes: int, reenvios: int, semilla: int) -> Plan:
    azar, hoy = random.Random(semilla), date.today()
    inicio, fin = hoy - timedelta(days=30), hoy + timedelta(days=335)
    ids = [f"caos-{corrida}-{n:02d}" for n in range(instituciones)]
    convenios = {i: f"CAOS-{corrida}-{n:02d}" for n, i in enumerate(ids)}
    por_institucion = math.ceil(reportes / instituciones)
    plan = Plan(corrida, ids, convenios, inicio, fin, [], [], {})
    for k in range(reportes):
        i = ids[k % instituciones]
        # Un padrón por institución del tamaño de sus sesiones: hay personas que repiten y personas nuevas.
        asistentes = sorted({f"p{azar.randrange(por_institucion)}" for _ in range(azar.randint(1, 4))})
        plan.reportes.append(sesion(i, convenios[i], f"S-{k}", hoy, asistentes, TEMAS[k % len(TEMAS)]))
        plan.asistentes.setdefault(convenios[i], set()).update(asistentes)
        plan.sesiones[convenios[i]] = plan.sesiones.get(convenios[i], 0) + 1
    for i, c in convenios.items():
        plan.firmas.append(firma(i, c, inicio, fin, max(1, math.floor(len(plan.asistentes[c]) * META_PARTE)),
                                 max(1, math.floor(plan.sesiones[c] * META_PARTE))))
    plan.firmas.append(firma(plan.hostil, plan.convenio_hostil, inicio, fin, 10**6, 10**6))
    plan.firmas.append(firma(plan.hostil, plan.convenio_cancelado, inicio, fin, 10**6, 10**6))
    plan.firmas.append(reporte(OTORGANTE, ReporteConvenioCancelado(
        convenio_id=plan.convenio_cancelado, motivo="Cancelado para la prueba de fallas", fecha=hoy)))
    for _ in range(min(reenvios, max(0, reportes - 1))):
        despues = azar.randrange(1, reportes)
        plan.reenvios.setdefault(despues, []).append(azar.randrange(despues))
    return plan
