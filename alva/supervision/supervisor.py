"""El supervisor: un proceso aparte que mantiene en marcha los procesos deseados (servicios y consola) y anota su
estado.

`python -m alva.supervision` (lo lanza `alva servicios arrancar`). SIGHUP: releer los deseados;
SIGTERM o SIGINT: detener todos en orden y salir.
"""

import os
import signal
import sys
import time

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from alva.consola.config import AjustesConsola
from alva.supervision import procesos
from alva.supervision.hijo import Hijo, ahora, ahora_iso
from alva.supervision.registro import Rutas, escribir_json, leer_deseados, rotar

PAUSA_S = 0.2
CADA_CUANTO_ROTAR_S = 10.0


class AjustesBitacoras(BaseSettings):
    """Hasta dónde crece la bitácora de cada proceso supervisado antes de rotarse, y cuántas viejas se guardan."""

    model_config = SettingsConfigDict(env_prefix="ALVA_", extra="ignore")

    bitacora_mb: float = Field(default=20.0, gt=0, description="Tamaño en MB al que se rota (ALVA_BITACORA_MB).")
    bitacora_copias: int = Field(default=3, ge=1, description="Copias viejas que se guardan (ALVA_BITACORA_COPIAS).")


class Supervisor:
    def __init__(self, rutas: Rutas) -> None:
        self.rutas = rutas
        self.ajustes = AjustesConsola()  # los puertos y direcciones que dan el entorno de cada hijo
        self.bitacoras = AjustesBitacoras()
        self.hijos: dict[str, Hijo] = {}
        self.desde = ahora_iso()
        self.parar = False
        self.releer = True
        self._anterior: dict | None = None
        self._rotado = 0.0

    def atender_senales(self) -> None:
        signal.signal(signal.SIGTERM, self._pedir_parada)
        signal.signal(signal.SIGINT, self._pedir_parada)
        signal.signal(signal.SIGHUP, self._pedir_relectura)

    def _pedir_parada(self, *_) -> None:
        self.parar = True

    def _pedir_relectura(self, *_) -> None:
        self.releer = True

    def reconciliar(self) -> None:
        """Los deseados se arrancan (en seguida, si estaban detenidos); los demás se detienen. El entorno de cada
        uno se rehace: el próximo arranque ve dónde están los demás."""
        deseados = {} if self.parar else leer_deseados(self.rutas)
        for nombre in [s for s in procesos.SUPERVISADOS if s in deseados and s not in self.hijos]:
            self.hijos[nombre] = Hijo(nombre, deseados[nombre], self.rutas.bitacora(nombre))
        for hijo in self.hijos.values():
            if hijo.nombre in deseados and not hijo.deseado:
                hijo.puerto, hijo.espera_s, hijo.proximo = deseados[hijo.nombre], None, 0.0
            hijo.deseado = hijo.nombre in deseados
            if hijo.deseado:
                hijo.entorno = procesos.entorno(hijo.nombre, deseados, self.ajustes)

    def paso(self) -> None:
        if self.releer or self.parar:
            self.releer = False
            self.reconciliar()
        momento = ahora()
        for hijo in self.hijos.values():
            hijo.paso(momento)
        if momento - self._rotado >= CADA_CUANTO_ROTAR_S:
            self._rotado = momento
            self.rotar_bitacoras()
        self.anotar_estado(momento)

    def rotar_bitacoras(self) -> None:
        """Cada bitácora (la de cada proceso y la del supervisor) se rota al pasar de ALVA_BITACORA_MB."""
        maximo, copias = int(self.bitacoras.bitacora_mb * 1024 * 1024), self.bitacoras.bitacora_copias
        for nombre in [*self.hijos, "supervisor"]:
            try:
                rotada = rotar(self.rutas.bitacora(nombre), maximo, copias)
            except OSError as e:  # p. ej. el disco lleno: el supervisor sigue cuidando a los procesos
                print(f"{ahora_iso()} supervisor: no se pudo rotar {nombre}.log ({e})", flush=True)
                continue
            if rotada:
                print(f"{ahora_iso()} supervisor: {nombre}.log rotada (lo anterior, en {nombre}.log.1 … .{copias})",
                      flush=True)

    def anotar_estado(self, momento: float, *, terminado: bool = False) -> None:
        estado = {"supervisor": {"pid": os.getpid(), "desde": self.desde,
                                 "bitacora": str(self.rutas.bitacora("supervisor"))},
                  "servicios": {n: h.como_dict(momento) for n, h in self.hijos.items()}}
        if terminado:
            estado["supervisor"]["terminado"] = ahora_iso()
        if estado != self._anterior:
            escribir_json(self.rutas.estado, estado)
            self._anterior = estado

    def vivos(self) -> bool:
        return any(h.proceso is not None for h in self.hijos.values())

    def correr(self) -> None:
        self.atender_senales()
        while not (self.parar and not self.vivos()):
            self.paso()
            time.sleep(PAUSA_S)
        self.anotar_estado(ahora(), terminado=True)


def main() -> None:
    rutas = Rutas.actuales()
    print(f"{ahora_iso()} supervisor {os.getpid()}: servicios {', '.join(leer_deseados(rutas))}", flush=True)
    Supervisor(rutas).correr()
    print(f"{ahora_iso()} supervisor {os.getpid()}: todos detenidos", flush=True)
    sys.exit(0)
