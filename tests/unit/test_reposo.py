"""El modo de reposo: cuándo entra, cuándo sale, y que sin el `Fetcher` que espera no hace nada."""

import inspect

import pytest
from aiokafka.consumer.fetcher import Fetcher
from pydantic import ValidationError

from plataforma.config import Ajustes
from plataforma.reposo import Reposo

pytestmark = pytest.mark.unit


class Pedidor:
    def __init__(self) -> None:
        self._fetch_min_bytes, self._fetch_max_wait_ms = 262144, 50


class Consumidor:
    def __init__(self, pedidor=None) -> None:
        self._fetcher = pedidor


def _reposo(**k) -> Reposo:
    return Reposo(**{"bytes_min": 262144, "espera_ms": 50, "espera_reposo_ms": 1000, "tras_s": 1.0, **k})


def test_entra_en_reposo_solo_tras_el_tiempo_sin_lotes_y_sale_con_el_primero():
    reposo, consumidor = _reposo(), Consumidor(Pedidor())
    reposo.trabajo(consumidor)
    inicio = reposo._ultimo
    reposo.revisar(consumidor, ahora=inicio + 0.9)
    assert not reposo.en_reposo and consumidor._fetcher._fetch_max_wait_ms == 50
    reposo.revisar(consumidor, ahora=inicio + 1.1)
    assert reposo.en_reposo
    assert (consumidor._fetcher._fetch_min_bytes, consumidor._fetcher._fetch_max_wait_ms) == (1, 1000)
    reposo.trabajo(consumidor)
    assert not reposo.en_reposo
    assert (consumidor._fetcher._fetch_min_bytes, consumidor._fetcher._fetch_max_wait_ms) == (262144, 50)


@pytest.mark.parametrize("espera_reposo_ms", [0, 50, 20])
def test_una_espera_de_reposo_no_mayor_que_la_de_trabajo_lo_apaga(espera_reposo_ms):
    reposo, consumidor = _reposo(espera_reposo_ms=espera_reposo_ms), Consumidor(Pedidor())
    reposo.revisar(consumidor, ahora=reposo._ultimo + 3600)
    assert not reposo.en_reposo and consumidor._fetcher._fetch_max_wait_ms == 50


def test_sin_consumidor_en_marcha_o_sin_esos_ajustes_no_hace_nada(caplog):
    reposo = _reposo()
    reposo.revisar(Consumidor(None), ahora=reposo._ultimo + 3600)  # aún no arranca
    assert not reposo.en_reposo
    reposo.revisar(Consumidor(object()), ahora=reposo._ultimo + 3600)  # otra versión de aiokafka
    reposo.revisar(Consumidor(object()), ahora=reposo._ultimo + 3600)
    assert not reposo.en_reposo
    assert [r.levelname for r in caplog.records] == ["WARNING"]


def test_el_fetcher_de_aiokafka_lee_esos_ajustes_en_cada_peticion():
    """El reposo cambia dos atributos privados de aiokafka: si una versión deja de leerlos al armar cada petición,
    esto falla antes que el reposo deje de servir en silencio."""
    fuente = inspect.getsource(Fetcher._get_actions_per_node)
    assert "self._fetch_max_wait_ms" in fuente and "self._fetch_min_bytes" in fuente


@pytest.mark.parametrize("tras_s", [0, -1])
def test_un_tiempo_hasta_el_reposo_que_no_es_positivo_se_rechaza_al_arrancar(tras_s):
    """Con 0, la tarea que vigila daría vueltas sin pausa: mejor un error claro con el nombre del ajuste."""
    with pytest.raises(ValidationError, match="reposo_tras_s"):
        Ajustes(reposo_tras_s=tras_s)
