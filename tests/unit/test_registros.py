"""aiokafka lee cualquier registro que Kafka acepte: también uno con un nombre de cabecera que no es UTF-8."""

import struct

import pytest
from aiokafka.consumer import fetcher
from aiokafka.record.default_records import _DefaultRecordBatchBuilderPy
from aiokafka.record.util import calc_crc32c
from aiokafka.structs import TopicPartition

from plataforma import registros as _registros  # noqa: F401 - instala el lector tolerante

pytestmark = pytest.mark.unit

MARCA = b"\x01@"  # el nombre de cabecera que se vuelve ilegible en los bytes del lote


def lote(base: int, cabeceras: list[list[tuple[str, bytes]]], *, codec: int = 0) -> bytes:
    """Un lote v2 como lo guarda Kafka; donde una cabecera se llame MARCA, su primer byte pasa a 0xff."""
    b = _DefaultRecordBatchBuilderPy(magic=2, compression_type=codec, is_transactional=0, producer_id=-1,
                                     producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for i, h in enumerate(cabeceras):
        b.append(i, timestamp=1000 + i, key=b"k", value=f"v{base + i}".encode(), headers=h)
    crudo = bytearray(b.build())
    struct.pack_into(">q", crudo, 0, base)
    if (i := crudo.find(MARCA)) >= 0:
        crudo[i] = 0xFF
        struct.pack_into(">I", crudo, 17, calc_crc32c(bytes(crudo[21:])))
    return bytes(crudo)


def leer(crudo: bytes, desde: int) -> tuple[list, int]:
    registros = fetcher.PartitionRecords(TopicPartition("alva.ingreso.x", 0), fetcher.MemoryRecords(crudo), [], desde,
                                         None, None, True, 0)
    return [(r.offset, r.value, dict(r.headers)) for r in registros], registros.next_fetch_offset


def test_un_lote_normal_se_lee_igual():
    crudo = lote(0, [[("a", b"1")], [("b", b"2")]])
    assert leer(crudo, 0) == ([(0, b"v0", {"a": b"1"}), (1, b"v1", {"b": b"2"})], 2)


@pytest.mark.parametrize("codec", [0, 1])  # sin comprimir y gzip (el de la biblioteca estándar)
def test_un_nombre_de_cabecera_ilegible_llega_con_reemplazo_y_lo_demas_sigue(codec):
    crudo = lote(0, [[("a", b"1")], [(MARCA.decode(), b"x")], [("b", b"2")]], codec=codec) + lote(3, [[("c", b"3")]])
    leidos, siguiente = leer(crudo, 0)
    assert [o for o, _, _ in leidos] == [0, 1, 2, 3] and siguiente == 4
    assert leidos[1] == (1, b"v1", {"\ufffd@": b"x"})
    assert leidos[3] == (3, b"v3", {"c": b"3"})


@pytest.mark.parametrize("desde", [1, 2, 3])
def test_desde_la_mitad_de_un_lote_no_se_repite_ni_se_pierde_nada(desde):
    # Al volver a pedir desde un offset dentro del lote, Kafka lo devuelve entero: lo anterior se salta, aunque
    # lo ilegible esté antes.
    crudo = lote(0, [[("a", b"1")], [(MARCA.decode(), b"x")], [("b", b"2")]]) + lote(3, [[("c", b"3")]])
    leidos, siguiente = leer(crudo, desde)
    assert [o for o, _, _ in leidos] == list(range(desde, 4)) and siguiente == 4
