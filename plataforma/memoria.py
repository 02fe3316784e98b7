"""El estado que un lote toca, en memoria: tablas de filas con un diario para deshacer un evento rechazado."""

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

F = TypeVar("F")
Llave = tuple[Hashable, ...]
_AUSENTE = object()


class NoCargada(LookupError):
    """Se leyó una fila que el lote no cargó: un error de programación, nunca un «no existe»."""


class Diario:
    """Lo que cambió desde una marca, para volver atrás los cambios de un evento que se rechaza o falla."""

    def __init__(self) -> None:
        self._pasos: list[tuple["Tabla", Llave, object]] = []

    def marca(self) -> int:
        return len(self._pasos)

    def anotar(self, tabla: "Tabla", llave: Llave, previa: object) -> None:
        self._pasos.append((tabla, llave, previa))

    def deshacer(self, marca: int) -> None:
        while len(self._pasos) > marca:
            tabla, llave, previa = self._pasos.pop()
            tabla._restaurar(llave, previa)

    def olvidar(self) -> None:
        self._pasos.clear()


@dataclass
class Tabla(Generic[F]):
    """Filas por llave. `completa`: está toda en memoria (el repositorio en memoria); si no, sólo lo cargado.

    `grupo`: cuántas columnas de la llave forman un grupo que se carga y se recorre junto (p. ej. los objetivos
    de un convenio: llave (convenio_id, objetivo_id), grupo de 1). `grupos` indexa las filas en memoria por grupo;
    `enteros`, los grupos que se cargaron completos (tener una fila de un grupo no es tenerlo entero).
    """

    nombre: str
    diario: Diario
    completa: bool = False
    grupo: int = 0
    ciega: bool = False  # el lote sólo escribe en ella (una proyección que nadie lee aquí): no hace falta cargarla
    descartada: bool = False  # al reconstruir, lo operativo no se reescribe: se conserva del respaldo
    filas: dict[Llave, F] = field(default_factory=dict)
    conocidas: set[Llave] = field(default_factory=set)
    grupos: dict[Llave, set[Llave]] = field(default_factory=dict)
    enteros: set[Llave] = field(default_factory=set)
    cambiadas: set[Llave] = field(default_factory=set)
    ordenados: dict[Llave, list[Llave]] = field(default_factory=dict)  # las llaves de cada grupo, ya en orden

    def leer(self, llave: Llave) -> F | None:
        self._exigir(llave)
        return self.filas.get(llave)

    def de_grupo(self, *prefijo: Hashable) -> list[F]:
        """Las filas del grupo, en orden de llave."""
        if not self.completa and prefijo not in self.enteros:
            raise NoCargada(f"{self.nombre}: el grupo {prefijo} no se cargó en este lote")
        orden = self.ordenados.get(prefijo)
        if orden is None:  # se ordena cuando cambia quién está en el grupo, no en cada lectura
            orden = self.ordenados[prefijo] = sorted(self.grupos.get(prefijo, ()), key=_orden)
        filas = self.filas
        return [filas[k] for k in orden if k in filas]

    def poner(self, llave: Llave, fila: F) -> None:
        if not self.ciega:
            self._exigir(llave)
        self.diario.anotar(self, llave, self.filas.get(llave, _AUSENTE))
        self._colocar(llave, fila)
        self.cambiadas.add(llave)

    def quitar(self, llave: Llave) -> None:
        self._exigir(llave)
        if llave in self.filas:
            self.diario.anotar(self, llave, self.filas[llave])
            self._retirar(llave)
            self.cambiadas.add(llave)

    def __iter__(self) -> Iterator[F]:
        return iter(list(self.filas.values()))

    # Lo que usa el adaptador de la base
    def cargadas(self, llaves: Iterable[Llave], filas: dict[Llave, F]) -> None:
        """Anota lo que la base devolvió para `llaves` (las que no vinieron, se sabe que no existen)."""
        for llave in llaves:
            self.conocidas.add(llave)
        for llave, fila in filas.items():
            if llave not in self.cambiadas:
                self._colocar(llave, fila)

    def grupo_cargado(self, prefijo: Llave, filas: dict[Llave, F]) -> None:
        """Anota el grupo entero tal como está en la base (sin pisar lo que el lote ya cambió)."""
        self.grupos.setdefault(prefijo, set())
        self.enteros.add(prefijo)
        for llave, fila in filas.items():
            if llave not in self.cambiadas:
                self._colocar(llave, fila)

    def por_escribir(self) -> tuple[list[F], list[Llave]]:
        """(filas a insertar o actualizar, llaves a borrar) desde la última escritura."""
        if self.descartada:
            return [], []
        puestas = [self.filas[k] for k in sorted(self.cambiadas, key=_orden) if k in self.filas]
        quitadas = [k for k in sorted(self.cambiadas, key=_orden) if k not in self.filas]
        return puestas, quitadas

    def escrita(self) -> None:
        self.cambiadas.clear()

    def _exigir(self, llave: Llave) -> None:
        if self.completa or llave in self.conocidas:
            return
        if self.grupo and llave[:self.grupo] in self.enteros:
            return
        raise NoCargada(f"{self.nombre}: {llave} no se cargó en este lote")

    def _colocar(self, llave: Llave, fila: F) -> None:
        self.filas[llave] = fila
        self.conocidas.add(llave)
        if self.grupo:
            prefijo = llave[:self.grupo]
            miembros = self.grupos.setdefault(prefijo, set())
            if llave not in miembros:
                miembros.add(llave)
                self.ordenados.pop(prefijo, None)

    def _retirar(self, llave: Llave) -> None:
        del self.filas[llave]
        if self.grupo:
            prefijo = llave[:self.grupo]
            self.grupos.get(prefijo, set()).discard(llave)
            self.ordenados.pop(prefijo, None)

    def _restaurar(self, llave: Llave, previa: object) -> None:
        if previa is _AUSENTE:
            if llave in self.filas:
                self._retirar(llave)
        else:
            self._colocar(llave, previa)


def _orden(llave: Llave) -> tuple:
    return tuple("" if v is None else v for v in llave)
