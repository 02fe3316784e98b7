"""Las reglas vigentes de cada programa, las claves de cada otorgante y sus URL públicas: lo que el evaluador
necesita para otorgar. Todo se carga al arrancar; nada se crea dentro de un lote."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from servicios.distintivos.claves import ClaveFaltante, ClaveFirma, cargar_claves, crear_clave
from servicios.distintivos.credencial import Emisor, credencial_ob3, firmar
from servicios.distintivos.lista_estado import ListaEstado, credencial_lista
from servicios.distintivos.reglas import Reglas


@dataclass
class Motor:
    programas: dict[str, list[Reglas]]
    url_publica: str
    claves: dict[str, list[ClaveFirma]] = field(default_factory=dict)  # otorgante → de la más vieja a la que firma

    def cargar_claves(self, carpeta: Path, *, crear: bool) -> None:
        """Al arrancar: las claves de cada otorgante; si falta una y `crear`, la crea (0600); si no, falla diciendo
        dónde ponerla. Un lote nunca crea ni lee claves."""
        for otorgante in sorted({r.otorgante for vs in self.programas.values() for r in vs}):
            claves = cargar_claves(carpeta, otorgante)
            if not claves:
                if not crear:
                    raise ClaveFaltante(
                        f"No hay clave para firmar los distintivos de '{otorgante}': ponga su clave Ed25519 (PEM) en "
                        f"{carpeta}/{otorgante}.pem o en {carpeta}/{otorgante}/ (ALVA_CARPETA_CLAVES), o permita "
                        "crearla al arrancar con ALVA_CREAR_CLAVES=true.")
                try:
                    crear_clave(carpeta, otorgante)
                except OSError as e:
                    raise ClaveFaltante(f"No se pudo crear la clave de '{otorgante}' en {carpeta}: {e.strerror or e}. "
                                        "Dé permiso de escritura o ponga ahí una clave (ALVA_CARPETA_CLAVES).") from None
                claves = cargar_claves(carpeta, otorgante)
            self.claves[otorgante] = claves

    def reglas(self, programa: str) -> Reglas | None:
        """La versión más nueva: la que se aplica a las evaluaciones de ahora en adelante."""
        versiones = self.programas.get(programa)
        return versiones[-1] if versiones else None

    def cuenta_sesiones(self) -> bool:
        """Si las reglas vigentes de algún programa cuentan sesiones (temas, modalidad, personas): si ninguna, una
        sesión no cambia ninguna decisión y no hace falta cargar quiénes asistieron."""
        return any(versiones[-1].filtros() for versiones in self.programas.values() if versiones)

    def url_emisor(self, otorgante: str) -> str:
        return f"{self.url_publica.rstrip('/')}/emisores/{otorgante}"

    def url_lista(self, reglas: Reglas) -> str:
        return f"{self.url_emisor(reglas.otorgante)}/listas/{reglas.programa}"

    def url_distintivo(self, distintivo_id: str) -> str:
        return f"{self.url_publica.rstrip('/')}/distintivos/{distintivo_id}"

    def emisor(self, reglas: Reglas) -> Emisor:
        return Emisor(reglas.otorgante, reglas.otorgante_nombre, reglas.otorgante_url, self.claves[reglas.otorgante][-1],
                      self.url_emisor(reglas.otorgante))

    def credencial(self, reglas: Reglas, *, distintivo_id: str, institucion_id: str, institucion_nombre: str,
                   criterios: list[str], evidencia: list[dict[str, str]], desde: date, hasta: date,
                   indice: int) -> tuple[dict, str]:
        emisor = self.emisor(reglas)
        credencial = credencial_ob3(
            distintivo_id=distintivo_id, programa=reglas.programa, programa_nombre=reglas.nombre, emisor=emisor,
            institucion_id=institucion_id, institucion_nombre=institucion_nombre, criterios=criterios,
            evidencia=evidencia, valido_desde=desde, valido_hasta=hasta, emitida_en=medianoche(desde),
            lista_estado_url=self.url_lista(reglas), indice_estado=indice, id_=self.url_distintivo(distintivo_id))
        return credencial, firmar(credencial, emisor)

    def lista(self, reglas: Reglas, revocados: list[int], emitida_en: datetime) -> str:
        lista = ListaEstado()
        for indice in revocados:
            lista.revocar(indice)
        emisor = self.emisor(reglas)
        return firmar(credencial_lista(lista, url=self.url_lista(reglas), emisor=emisor, emitida_en=emitida_en), emisor)

    def jwks(self, otorgante: str) -> dict:
        """Las claves públicas del otorgante (todas: lo firmado con una anterior sigue verificándose)."""
        return {"keys": [c.jwk() for c in self.claves.get(otorgante, [])]}


def medianoche(dia: date) -> datetime:
    return datetime.combine(dia, time.min, tzinfo=UTC)
