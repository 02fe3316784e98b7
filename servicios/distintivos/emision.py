"""Las reglas vigentes de cada programa y las claves de cada otorgante: lo que el evaluador necesita para otorgar."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from servicios.distintivos.claves import clave_de_archivo_o_generar
from servicios.distintivos.credencial import Emisor, credencial_ob3, firmar
from servicios.distintivos.lista_estado import ListaEstado, credencial_lista
from servicios.distintivos.reglas import Reglas


@dataclass
class Motor:
    programas: dict[str, list[Reglas]]
    carpeta_claves: Path
    _emisores: dict[str, Emisor] = field(default_factory=dict)

    def reglas(self, programa: str) -> Reglas | None:
        """La versión más nueva: la que se aplica a las evaluaciones de ahora en adelante."""
        versiones = self.programas.get(programa)
        return versiones[-1] if versiones else None

    def emisor(self, reglas: Reglas) -> Emisor:
        """La clave del otorgante: de `<carpeta>/<otorgante>.pem`, o una nueva ahí mismo la primera vez."""
        if reglas.otorgante not in self._emisores:
            clave = clave_de_archivo_o_generar(self.carpeta_claves / f"{reglas.otorgante}.pem")
            self._emisores[reglas.otorgante] = Emisor(reglas.otorgante, reglas.otorgante_nombre, reglas.otorgante_url,
                                                      clave)
        return self._emisores[reglas.otorgante]

    def credencial(self, reglas: Reglas, *, distintivo_id: str, institucion_id: str, institucion_nombre: str,
                   criterios: list[str], evidencia: list[dict[str, str]], desde: date, hasta: date,
                   indice: int) -> tuple[dict, str]:
        emisor = self.emisor(reglas)
        credencial = credencial_ob3(
            distintivo_id=distintivo_id, programa=reglas.programa, programa_nombre=reglas.nombre, emisor=emisor,
            institucion_id=institucion_id, institucion_nombre=institucion_nombre, criterios=criterios,
            evidencia=evidencia, valido_desde=desde, valido_hasta=hasta, emitida_en=medianoche(desde),
            lista_estado_url=reglas.lista_estado_url, indice_estado=indice)
        return credencial, firmar(credencial, emisor)

    def lista(self, reglas: Reglas, revocados: list[int], emitida_en: datetime) -> str:
        lista = ListaEstado()
        for indice in revocados:
            lista.revocar(indice)
        emisor = self.emisor(reglas)
        return firmar(credencial_lista(lista, url=reglas.lista_estado_url, emisor=emisor, emitida_en=emitida_en),
                      emisor)


def medianoche(dia: date) -> datetime:
    return datetime.combine(dia, time.min, tzinfo=UTC)
