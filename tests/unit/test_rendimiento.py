"""Las cuentas y tablas de `make bench`, sin broker ni base: percentiles, ritmo por decil, retraso que crece."""

import pytest

from alva.rendimiento.informe import cifra, tabla
from alva.rendimiento.medidas import instante_en, mediana, percentil, ritmo_por_decil, se_atrasa
from alva.rendimiento.procesos import sumar_metricas

pytestmark = pytest.mark.unit


def test_percentiles_interpolan_entre_rangos_como_numpy():
    demoras = [float(ms) for ms in range(1, 101)]  # 1 … 100 ms
    assert percentil(demoras, 50) == pytest.approx(50.5)
    assert percentil(demoras, 99) == pytest.approx(99.01)
    assert mediana([3.0, None, 1.0, 2.0]) == 2.0  # una ronda que no terminó no cuenta
    assert percentil([], 99) is None


def test_un_ritmo_constante_da_diez_deciles_iguales():
    # Un servicio confirma 100 eventos por segundo durante 10 s, muestreado cada medio segundo.
    avance = [(t / 2, 50.0 * t) for t in range(1, 21)]
    assert ritmo_por_decil(0.0, avance, 1000) == pytest.approx([100.0] * 10)


def test_el_ritmo_por_decil_muestra_un_servicio_que_se_hace_lento_y_lo_que_no_termino():
    # La segunda mitad va a la mitad de velocidad; y otro servicio se quedó en el 55 %.
    lento = [(1.0, 250.0), (2.0, 500.0), (4.0, 750.0), (6.0, 1000.0)]
    ritmos = ritmo_por_decil(0.0, lento, 1000, unidades=250)  # 1000 eventos de entrada son 250 reportes
    assert ritmos[0] == pytest.approx(62.5) and ritmos[-1] == pytest.approx(31.25)
    incompleto = ritmo_por_decil(0.0, [(1.0, 550.0)], 1000)
    assert incompleto[4] is not None and incompleto[5:] == [None] * 5
    assert instante_en([(1.0, 0.0), (3.0, 100.0)], 50) == pytest.approx(2.0)


def test_un_retraso_que_sube_y_se_queda_no_es_atrasarse_pero_uno_que_crece_si():
    # A 200 reportes/s, el retraso sube a su nivel de régimen y ahí oscila; otro crece sin parar.
    estable = [(t / 2, min(t, 4) * 50.0 + (25.0 if t % 2 else 0.0)) for t in range(40)]
    creciente = [(t / 2, t * 60.0) for t in range(40)]
    assert se_atrasa(estable, 200) is False
    assert se_atrasa(creciente, 200) is True
    assert se_atrasa(creciente[:6], 200) is None  # tres segundos no bastan para decirlo


def test_tablas_alinean_numeros_a_la_derecha_con_separador_de_miles():
    texto = tabla("Cada servicio solo", ["servicio", "reportes/s", "% base"],
                  [("capacitacion", 1080.4, "7%"), ("convenios", None, "—")], ["nota al pie"])
    lineas = texto.splitlines()
    assert lineas[0] == "Cada servicio solo"
    assert lineas[3] == "  capacitacion       1,080      7%"
    assert lineas[4] == "  convenios              —       —"
    assert lineas[-1] == "  nota al pie"
    assert cifra(0.256, 2) == "0.26" and cifra(True) == "sí" and cifra("no disponible") == "no disponible"


def test_las_metricas_prometheus_se_suman_por_nombre():
    texto = ('# HELP alva_eventos_procesados_total …\n'
             'alva_eventos_procesados_total{servicio="capacitacion",tipo="a"} 3.0\n'
             'alva_eventos_procesados_total{servicio="capacitacion",tipo="b"} 4.0\n'
             'alva_outbox_pendientes{servicio="capacitacion"} 0.0\n')
    assert sumar_metricas(texto) == {"alva_eventos_procesados_total": 7.0, "alva_outbox_pendientes": 0.0}


def test_los_hechos_sinteticos_del_banco_no_repiten_ids_con_otro_contenido():
    """Los servicios rechazan un id ya usado con otro contenido (`id_reutilizado`): si la carga del banco repitiera
    ids, mediría rechazos en vez de trabajo. Los avances de dos objetivos por la misma sesión llevan ordinales."""
    from datetime import date

    from alva.rendimiento import carga

    [convenio] = carga.convenios("REND-prueba", ["penjamo"], 1, 2, date(2026, 11, 26))
    mensajes = []
    for n, sesion in enumerate(carga.sesiones([convenio], 2, "prueba"), start=1):
        hechos = carga.de_capacitacion(sesion)
        mensajes += [sesion, *hechos, *convenio.avances(hechos[0], n)]
    ids = [m.id for m in mensajes]
    assert len(ids) == len(set(ids)) == 2 * (1 + 4 + 2) + 2  # dos avances por sesión y los dos cumplidos al final


def test_la_cadena_cruda_lee_lo_que_cada_servicio_leeria_y_atiende_solo_lo_suyo():
    import importlib
    import re

    from alva.rendimiento.cadena_cruda import ETAPAS, POR_REPORTE, TIPO, _atiende, esperados

    # Los tópicos de cada etapa son los que el patrón de su servicio suscribe.
    ejemplo = {"ingreso": "alva.ingreso.municipio-leon", "capacitacion": "alva.capacitacion",
               "constancias": "alva.capacitacion.constancias", "convenios": "alva.convenios"}
    for etapa, forma in ETAPAS.items():
        patron = importlib.import_module(f"servicios.{etapa}.suscriptores").PATRON
        assert set(forma.lee) == {t for t in POR_REPORTE if re.match(patron, ejemplo[t])}, etapa
    # Por cada reporte: capacitacion atiende el reporte, convenios la sesión, distintivos la sesión y dos avances.
    assert [esperados(ETAPAS[e], 10) for e in ETAPAS] == [10, 10, 30, 0]
    sesion, constancia = [(TIPO, b"sesion")], [(TIPO, b"constancia")]
    assert _atiende(ETAPAS["convenios"], "capacitacion", sesion)
    assert not _atiende(ETAPAS["convenios"], "capacitacion", constancia)
    assert not _atiende(ETAPAS["convenios"], "ingreso", [])
    assert _atiende(ETAPAS["capacitacion"], "ingreso", [("otra", b"x")])
    assert not _atiende(ETAPAS["capacitacion"], "convenios", [(TIPO, b"avance")])
    assert _atiende(ETAPAS["distintivos"], "convenios", [(TIPO, b"avance")])


def test_la_cpu_de_un_arbol_cuenta_a_los_hijos_vivos_y_a_los_que_terminaron():
    import os
    import subprocess
    import sys
    import time

    from alva.rendimiento.procesos import cpu_de_arbol

    antes = cpu_de_arbol(os.getpid())
    hijo = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        limite = time.monotonic() + 20
        while cpu_de_arbol(os.getpid()) - antes < 0.3:  # el hijo gira: su CPU cuenta mientras vive
            assert time.monotonic() < limite, "la CPU del hijo vivo no se contó"
            time.sleep(0.05)
    finally:
        hijo.kill()
        hijo.wait()
    assert cpu_de_arbol(os.getpid()) - antes >= 0.3  # y también ya esperado
    assert cpu_de_arbol(2**22 + 1) is None  # más que cualquier pid de Linux: no existe


def test_la_cadena_dice_hasta_donde_llegaria_con_la_cpu_que_pide_por_reporte():
    from alva.rendimiento.fases import cadena

    tiempos = {"capacitacion": 10.0, "convenios": 12.0, "distintivos": 12.5}
    r = {"reportes": 30000, "convenios": 300, "envio_s": 1.2, "segundos": tiempos,
         "reportes_s": {k: 30000 / s for k, s in tiempos.items()},
         "vistos": {"sesiones": 30000, "completos": 300, "otorgados": 300},
         "cpu_s_por_1000": {"convenios": 0.3, "capacitacion": 0.3, "distintivos": 0.3, "notificaciones": 0.1},
         "cpu_infra_s_por_1000": {"postgres": 0.6, "kafka": 0.4}, "nucleos": 2, "rss_mb": {"convenios": 100},
         "cruda": {"reportes_s": {"capacitacion": 5000.0, "convenios": 4000.0, "distintivos": 4000.0},
                   "cpu_s_por_1000": {"capacitacion": 0.07}},
         "frio": {"reportes_s": {"capacitacion": 2000.0, "convenios": 1500.0, "distintivos": 1400.0}}}
    texto = cadena.imprimir(r, {})
    assert "en total 2.00 s de CPU por 1000 reportes" in texto and "no pasaría de 1,000 reportes/s" in texto
    assert "en frío): 2,000 / 1,500 / 1,400 reportes/s" in texto
    assert "2,400" in texto  # 30,000 reportes en 12.5 s hasta el último distintivo


def test_la_reconstruccion_llena_hasta_la_meta_sin_contar_lo_que_nadie_repite(monkeypatch):
    """Los eventos que cuenta la fase son los de tópicos que algún servicio repite: las constancias van a su propio
    tópico, que nadie lee, y no pueden completar el millón."""
    import asyncio
    import re
    from datetime import date
    from types import SimpleNamespace

    from alva.rendimiento.fases import reconstruccion

    enviados = []

    async def enviar(mensajes):
        enviados.extend(mensajes)

    monkeypatch.setattr(reconstruccion, "enviar", enviar)
    banco = SimpleNamespace(corrida="prueba", instituciones=["penjamo", "leon"], hoy=date(2026, 11, 26))
    contados = asyncio.run(reconstruccion.llenar(banco, 1_000))
    cuentan = [m for m in enviados if re.fullmatch(reconstruccion.TOPICOS, m.topico)]
    assert contados == len(cuentan) >= 1_000
    assert {m.topico for m in enviados} - {m.topico for m in cuentan} == {"alva.capacitacion.constancias"}
    assert len(cuentan) - 1_000 < len(reconstruccion.cadena(reconstruccion.Convenio(
        "penjamo", "x", reconstruccion.REPORTES_POR_CONVENIO, banco.hoy)))  # a lo más un convenio de más
