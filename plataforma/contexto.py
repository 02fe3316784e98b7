"""Lo que un caso de uso recibe: el repositorio del lote, la causa, la hora de la plataforma y dónde emitir."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from esquemas import TIPOS, CloudEvent
from esquemas.comun import Evento
from plataforma.nube import Mensaje, armar, id_de_hecho, mensaje


@dataclass(frozen=True, slots=True)
class Causa:
    """El evento que causó lo que se emite: su id, tipo, institución, cadena y la hora en que el broker lo anotó."""

    id: str
    type: str
    institucion: str
    correlationid: str | None
    marca: datetime
    evento: CloudEvent | None = None

    @property
    def cadena(self) -> str:
        return self.correlationid or self.id

    def sobre(self) -> dict:
        """El CloudEvent de la causa como dict JSON, con la hora del broker (`marca`) para recrear la causa."""
        base = self.evento.model_dump(mode="json", exclude_none=True) if self.evento is not None else {
            "id": self.id, "type": self.type, "institucion": self.institucion, "correlationid": self.correlationid}
        return {**base, "marca": self.marca.isoformat()}

    @classmethod
    def desde_sobre(cls, sobre: dict) -> "Causa":
        datos = {k: v for k, v in sobre.items() if k != "marca"}
        evento = CloudEvent.model_validate(datos) if "specversion" in datos else None
        return cls(sobre["id"], sobre["type"], sobre["institucion"], sobre.get("correlationid"),
                   datetime.fromisoformat(sobre["marca"]), evento)


@dataclass
class Contexto:
    """Un evento en curso (o una transición por tiempo, con `causa` None y `tarea` su nombre)."""

    repo: Any
    servicio: str
    causa: Causa | None
    ahora: datetime  # la hora de la causa según el broker; el reloj sólo en las transiciones por tiempo
    tarea: str | None = None
    salidas: list[Mensaje] = field(default_factory=list)
    hechos: list[tuple[str, str]] = field(default_factory=list)  # (id, type) de lo emitido
    reanudaciones: list[str] = field(default_factory=list)
    cuentas: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _ordinales: Counter = field(default_factory=Counter)

    @property
    def hoy(self):
        return self.ahora.date()

    def emitir(self, datos: Evento, *, institucion: str, subject: str | None = None) -> str:
        """Un hecho nuevo, causado por el evento en curso; sale por el outbox al confirmar la transacción."""
        return self.emitir_datos(datos.tipo, datos.model_dump(mode="json"), institucion=institucion, subject=subject)

    def emitir_datos(self, tipo: str, datos: dict, *, institucion: str, subject: str | None = None) -> str:
        """Como `emitir`, con los datos ya como dict (lo caliente: sin pasar por el modelo)."""
        origen = self.causa.id if self.causa else f"tarea:{self.tarea}:{self.hoy.isoformat()}"
        ordinal = self._ordinales[(tipo, subject)]
        self._ordinales[(tipo, subject)] += 1
        id_ = id_de_hecho(origen, tipo, subject, ordinal)
        sobre = armar(tipo, datos, id_=id_, institucion=institucion, servicio=self.servicio, cuando=self.ahora,
                      subject=subject, correlacion=self.causa.cadena if self.causa else None,
                      causa=self.causa.id if self.causa else None)
        self.salidas.append(mensaje(TIPOS[tipo].topico, sobre))
        self.hechos.append((id_, tipo))
        return id_

    def reanudar(self, clave: str) -> None:
        """Procesa, en este lote y después de este evento, lo que esperaba a `clave` (p. ej. `convenio:<id>`)."""
        self.reanudaciones.append(clave)

    def contar(self, metrica: str, **etiquetas: str) -> None:
        """Suma uno a una métrica del servicio al confirmarse la transacción."""
        self.cuentas.append((metrica, etiquetas))
