"""Leer de Kafka cualquier registro: también uno con un nombre de cabecera que no es UTF-8.

Kafka acepta cualquier byte en el nombre de una cabecera (el broker no lo valida), pero aiokafka lo decodifica como
UTF-8 estricto al recorrer el lote, y la excepción sale de `getmany`: FastStream no la espera y su bucle de consumo
termina (el servicio sigue vivo sin consumir nada), y un lector cualquiera (la consola, `alva observar`) se cae en
ese registro cada vez. Cualquier institución puede mandarlo (kcat lo hace con `-H`).

Lo importa cada módulo que lee de Kafka (los servicios, la reconstrucción, la consola, `alva observar`, la medición
y la inyección de fallas). El camino rápido de aiokafka queda igual; sólo si un lote falla así,
la respuesta de esa partición se vuelve a recorrer con el lector en Python de aiokafka, que deja esos bytes como
U+FFFD, y desde el registro siguiente al último entregado. El registro llega entero al servicio, que no usa esa
cabecera (ver `nube.leer`); lo demás de la respuesta sigue su curso.
"""

import logging
import struct
from collections.abc import Iterator

from aiokafka.consumer import fetcher
from aiokafka.errors import CorruptRecordException
from aiokafka.record.default_records import _DefaultRecordBatchPy
from aiokafka.record.legacy_records import LegacyRecordBatch

log = logging.getLogger(__name__)

_MemoryRecords = fetcher.MemoryRecords
_desempacar_rapido = fetcher.PartitionRecords._unpack_records  # noqa: SLF001


class _ConCrudo:
    """Las `MemoryRecords` de aiokafka, con los bytes de la respuesta a mano por si hay que releerlos."""

    __slots__ = ("crudo", "_registros")

    def __init__(self, crudo: bytes) -> None:
        self.crudo = crudo
        self._registros = _MemoryRecords(crudo)

    def has_next(self) -> bool:
        return self._registros.has_next()

    def next_batch(self):
        return self._registros.next_batch()

    def size_in_bytes(self) -> int:
        return self._registros.size_in_bytes()


class _Texto(bytearray):
    """Una rebanada del lote que, al decodificarse, reemplaza lo que no es UTF-8 en vez de fallar."""

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:  # noqa: ARG002
        return bytearray.decode(self, encoding, "replace")


class _Tolerante(bytearray):
    def __getitem__(self, i):
        v = bytearray.__getitem__(self, i)
        return _Texto(v) if isinstance(i, slice) else v


class _LoteTolerante(_DefaultRecordBatchPy):
    """El lote v2 en Python de aiokafka, sobre un buffer cuyas rebanadas decodifican con reemplazo."""

    def __init__(self, buffer) -> None:
        super().__init__(buffer)
        self._buffer = _Tolerante(self._buffer)

    def _maybe_uncompress(self) -> None:
        super()._maybe_uncompress()
        if type(self._buffer) is not _Tolerante:
            self._buffer = _Tolerante(self._buffer)


def _lotes(crudo: bytes) -> Iterator:
    """Cada lote completo de una respuesta (el último puede venir cortado: se pide otra vez, como en aiokafka)."""
    vista, pos = memoryview(crudo), 0
    while len(crudo) - pos >= 17:
        largo = struct.unpack_from(">i", crudo, pos + 8)[0]
        fin = pos + 12 + largo
        if largo < 0 or fin > len(crudo):
            return
        magia = crudo[pos + 16]
        yield _LoteTolerante(vista[pos:fin]) if magia >= 2 else LegacyRecordBatch(vista[pos:fin], magia)
        pos = fin


def _desempacar(self):
    try:
        yield from _desempacar_rapido(self)
    except UnicodeDecodeError as error:
        crudo = getattr(self._records, "crudo", None)
        if crudo is None:
            raise
        log.warning("%s: un registro desde el offset %s trae una cabecera cuyo nombre no es UTF-8 (%s); esta "
                    "respuesta se lee con el lector tolerante", self._tp, self.next_fetch_offset, error)
        yield from _desempacar_tolerante(self, crudo)


def _desempacar_tolerante(self, crudo: bytes):
    """Lo mismo que `PartitionRecords._unpack_records` de aiokafka, con `_LoteTolerante`, desde lo no entregado."""
    tp = self._tp
    for lote in _lotes(crudo):
        if lote.next_offset <= self.next_fetch_offset:
            continue  # ya entregado por el camino rápido
        if self._check_crcs and not lote.validate_crc():
            raise CorruptRecordException(f"Invalid CRC - {tp}")
        productor = getattr(lote, "producer_id", None)
        if self._isolation_level == fetcher.READ_COMMITTED and productor is not None:
            self._consume_aborted_up_to(lote.base_offset)
            if lote.is_control_batch and self._contains_abort_marker(lote):
                self._aborted_producers.discard(productor)
            if lote.is_transactional and productor in self._aborted_producers:
                self.next_fetch_offset = lote.next_offset
                continue
        if lote.is_control_batch:
            self.next_fetch_offset = lote.next_offset
            continue
        for registro in lote:
            if registro.offset < self.next_fetch_offset:
                continue
            leido = self._consumer_record(tp, registro)
            self.next_fetch_offset = registro.offset + 1
            yield leido
        self.next_fetch_offset = lote.next_offset


fetcher.MemoryRecords = _ConCrudo
fetcher.PartitionRecords._unpack_records = _desempacar  # noqa: SLF001
