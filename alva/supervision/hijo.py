"""Un proceso bajo el supervisor (un servicio o la consola): su proceso, su bitácora, sus reinicios con espera creciente y su parada ordenada."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from alva.supervision.procesos import modulo, variable_puerto
from plataforma.embebido import RAIZ

ESPERA_MIN_S = 1.0
ESPERA_MAX_S = 60.0
ESTABLE_S = 60.0  # quien vivió esto antes de caerse vuelve a empezar con la espera mínima
PLAZO_PARADA_S = 30.0  # tras SIGTERM, lo que se espera antes de SIGKILL


def siguiente_espera(anterior: float | None, vivio_s: float) -> float:
    """1 s, luego el doble en cada caída seguida, hasta 60 s; tras un minuto en marcha, 1 s otra vez."""
    if anterior is None or vivio_s >= ESTABLE_S:
        return ESPERA_MIN_S
    return min(anterior * 2, ESPERA_MAX_S)


def ahora_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass
class Hijo:
    nombre: str
    puerto: int
    bitacora: Path
    deseado: bool = True
    orden: list[str] | None = None  # por omisión, `python -m servicios.<nombre>` (o `alva.consola`)
    entorno: dict[str, str] = field(default_factory=dict)  # lo suyo, sobre el entorno del supervisor
    proceso: subprocess.Popen | None = None
    reinicios: int = 0
    ultimo_codigo: int | None = None
    desde: str | None = None  # cuándo arrancó el proceso actual
    espera_s: float | None = None
    proximo: float = 0.0  # monotónico: cuándo toca arrancarlo
    _inicio: float = 0.0
    _terminado_en: float | None = None  # monotónico: cuándo se le pidió terminar

    def anotar(self, texto: str) -> None:
        self.bitacora.parent.mkdir(parents=True, exist_ok=True)
        with open(self.bitacora, "a", encoding="utf-8") as archivo:
            archivo.write(f"--- {ahora_iso()} supervisor: {texto}\n")

    def lanzar(self, ahora: float) -> None:
        entorno = {**os.environ, **self.entorno, variable_puerto(self.nombre): str(self.puerto),
                   "PYTHONUNBUFFERED": "1"}
        orden = self.orden or [sys.executable, "-m", modulo(self.nombre)]
        try:
            with open(self.bitacora, "ab") as salida:
                self.proceso = subprocess.Popen(orden, cwd=RAIZ, stdin=subprocess.DEVNULL, stdout=salida,
                                                stderr=subprocess.STDOUT, env=entorno)
        except OSError as e:
            self.anotar(f"no se pudo lanzar {self.nombre}: {e}")
            self._caido(ahora, vivio_s=0.0)
            return
        self._inicio, self.desde, self._terminado_en = ahora, ahora_iso(), None
        self.anotar(f"{self.nombre} arrancó (pid {self.proceso.pid}, puerto {self.puerto})")

    def revisar(self, ahora: float) -> bool:
        """Recoge al proceso si terminó; si nadie se lo pidió, programa su reinicio. True si cambió algo."""
        if self.proceso is None or (codigo := self.proceso.poll()) is None:
            return False
        self.proceso, self.ultimo_codigo = None, codigo
        if self.deseado and self._terminado_en is None:
            self.reinicios += 1
            self._caido(ahora, vivio_s=ahora - self._inicio)
        else:
            self.anotar(f"{self.nombre} se detuvo (código {codigo})")
        return True

    def _caido(self, ahora: float, vivio_s: float) -> None:
        self.espera_s = siguiente_espera(self.espera_s, vivio_s)
        self.proximo = ahora + self.espera_s
        self.anotar(f"{self.nombre} terminó sin que se le pidiera (código {self.ultimo_codigo}); "
                    f"se reinicia en {self.espera_s:g} s")

    def apurar(self, ahora: float) -> None:
        """Parada ordenada: SIGTERM una vez (el relay termina su lote); SIGKILL si pasa el plazo."""
        if self.proceso is None:
            return
        if self._terminado_en is None:
            self._terminado_en = ahora
            self.proceso.send_signal(signal.SIGTERM)
        elif ahora - self._terminado_en > PLAZO_PARADA_S:
            self.anotar(f"{self.nombre} no terminó en {PLAZO_PARADA_S:g} s: SIGKILL")
            self.proceso.kill()
            self._terminado_en = float("inf")  # un solo SIGKILL

    def paso(self, ahora: float) -> bool:
        cambio = self.revisar(ahora)
        if self.deseado and self.proceso is None and ahora >= self.proximo:
            self.lanzar(ahora)
            cambio = True
        elif not self.deseado:
            self.apurar(ahora)
        return cambio

    def situacion(self, ahora: float) -> str:
        if self.proceso is not None:
            return "corriendo" if self.deseado else "deteniéndose"
        if self.deseado:
            return f"reinicia en {max(0.0, self.proximo - ahora):.0f} s"
        return "detenido"

    def como_dict(self, ahora: float) -> dict:
        return {"pid": self.proceso.pid if self.proceso else None, "puerto": self.puerto,
                "situacion": self.situacion(ahora), "reinicios": self.reinicios, "ultimo_codigo": self.ultimo_codigo,
                "desde": self.desde if self.proceso else None, "bitacora": str(self.bitacora)}


def ahora() -> float:
    return time.monotonic()
