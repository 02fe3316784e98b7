"""La prueba de fallas sin broker: el catálogo arma los bytes que dice, el plan y las fallas son reproducibles, y el
veredicto marca pérdidas, duplicados y rechazos que faltan o sobran."""

import json
from datetime import date

import pytest

from alva.caos import catalogo
from alva.caos.catalogo import CATALOGO, Blanco
from alva.caos.fallas import programa
from alva.caos.plan import armar
from alva.caos.veredicto import (
    DISTINTIVO_OTORGADO,
    SESION_COMPLETADA,
    Correo,
    Hecho,
    Observado,
    RechazoVisto,
    juzgar,
)

pytestmark = pytest.mark.unit

PLAN = armar("t0e5a1", 2, 20, 4, semilla=7)
BLANCO = Blanco("caos-t0e5a1-hostil", "CAOS-H", "CAOS-C", "CAOS-X", PLAN.instituciones[0], PLAN.reportes[0],
                date(2026, 1, 1), date(2026, 12, 31))


def bytes_de(nombre: str) -> bytes:
    return next(h for h in CATALOGO if h.nombre == nombre).construir(BLANCO).valor


def profundidad(valor) -> int:
    return 1 + max((profundidad(v) for v in valor), default=0) if isinstance(valor, list) else 0


def test_cada_entrada_tiene_nombre_unico_y_va_al_topico_de_quien_la_envia():
    nombres = [h.nombre for h in CATALOGO]
    assert len(nombres) == len(set(nombres))
    for h in CATALOGO:
        envio = h.construir(BLANCO)
        assert envio.topico == f"alva.ingreso.{envio.quien}"


def test_anidamiento_de_300_niveles_en_data_y_en_una_extension():
    assert profundidad(json.loads(bytes_de("anidado_en_data"))["data"]["anexo"]) == catalogo.PROFUNDIDAD == 300
    assert profundidad(json.loads(bytes_de("anidado_en_extension"))["anexo"]) == 300


def test_200_kb_de_arreglos_anidados_como_cuerpo():
    cuerpo = bytes_de("arreglos_anidados_200kb")
    assert len(cuerpo) == 200_000 and cuerpo == b"[" * 100_000 + b"]" * 100_000


def test_el_sustituto_suelto_y_el_nul_viajan_como_escapes_json():
    en_data = bytes_de("sustituto_en_data")
    assert b"\\udc80" in en_data and json.loads(en_data)["data"]["facilitador"] == "x\udc80y"
    assert json.loads(bytes_de("sustituto_en_extension"))["nota"] == "x\udc80y"
    nul = bytes_de("nul_en_texto")
    assert b"\\u0000" in nul and b"\x00" not in nul


def test_utf8_invalido_no_decodifica_y_los_tamanos_son_los_prometidos():
    with pytest.raises(UnicodeDecodeError):
        bytes_de("utf8_invalido").decode("utf-8")
    assert len(bytes_de("cerca_del_limite")) == catalogo.CERCA_DEL_LIMITE < catalogo.LIMITE_BROKER
    assert len(bytes_de("sobre_el_limite")) == catalogo.SOBRE_EL_LIMITE > catalogo.LIMITE_BROKER
    asistentes = json.loads(bytes_de("cien_mil_asistentes"))["data"]["asistentes"]
    assert len(asistentes) == len(set(asistentes)) == 100_000


@pytest.mark.parametrize("campo", ["id", "source", "specversion", "type"])
def test_a_cada_sobre_incompleto_le_falta_justo_su_atributo(campo):
    evento = json.loads(bytes_de(f"sin_{campo}"))
    assert campo not in evento and {"id", "source", "specversion", "type"} - {campo} <= evento.keys()


def test_el_id_reusado_es_el_de_un_reporte_valido_con_otro_contenido():
    envio = next(h for h in CATALOGO if h.nombre == "id_reusado_otro_contenido").construir(BLANCO)
    evento = json.loads(envio.valor)
    assert evento["id"] == str(PLAN.reportes[0].evento.id) and envio.topico == PLAN.reportes[0].topico
    assert evento["data"] != PLAN.reportes[0].evento.data


def test_el_plan_y_las_fallas_se_repiten_con_la_misma_semilla():
    otro = armar("t0e5a1", 2, 20, 4, semilla=7)
    assert [r.evento.data for r in otro.reportes] == [r.evento.data for r in PLAN.reportes]
    assert programa(3, 100, 8, True, True) == programa(3, 100, 8, True, True)
    fallas = programa(3, 100, 8, True, True)
    assert sorted(f.objetivo for f in fallas if f.tipo == "servicio").count("convenios") == 2
    assert [f.momento_s for f in fallas] == sorted(f.momento_s for f in fallas)


def test_las_metas_se_cumplen_con_lo_que_se_envia():
    for firma in PLAN.firmas[:len(PLAN.instituciones)]:
        d = firma.evento.data
        metas = {o["indicador"]: o["meta"] for o in d["objetivos"]}
        assert metas["personas_capacitadas"] <= len(PLAN.asistentes[d["convenio_id"]])
        assert metas["sesiones_impartidas"] <= PLAN.sesiones[d["convenio_id"]]
    repetidos = sum(len(r.evento.data["asistentes"]) for r in PLAN.reportes) - sum(map(len, PLAN.asistentes.values()))
    assert repetidos > 0


# --- el veredicto sobre observaciones sintéticas ---

def observado(**cambios) -> Observado:
    """Dos reportes registrados una vez, un distintivo con su correo, una entrada hostil con un rechazo."""
    base = dict(
        enviados={"r1": "C1", "r2": "C1"},
        hechos=[Hecho("alva.capacitacion", "f1", SESION_COMPLETADA, "r1", "S1", "i"),
                Hecho("alva.capacitacion", "f2", SESION_COMPLETADA, "r2", "S2", "i"),
                Hecho("alva.distintivos", "d1", DISTINTIVO_OTORGADO, "x", "D", "i", convenio_id="C1")],
        rechazos=[RechazoVisto("j1", "alva.ingreso.h", 0, 5, None, "json_invalido", "convenios")],
        hostiles=[{"nombre": "no_es_json", "entrada_id": None, "topico": "alva.ingreso.h", "particion": 0,
                   "offset": 5, "codigo_esperado": "json_invalido"}],
        personas_bd={"C1": 3.0}, personas_esperadas={"C1": 3}, cumplibles={"C1"}, sin_cumplir={"CH"},
        enlaces={"C1": "enlace@i.example"}, correos=[Correo("d1", "enlace@i.example", "distintivo_otorgado", "<m1>")],
        quietudes=[{"fase": "final", "quieto": True, "segundos": 3.0, "atascos": []}])
    return Observado(**{**base, **cambios})


def fallan(o: Observado) -> set[str]:
    return {f.nombre for f in juzgar(o)["filas"] if not f.ok}


def test_todo_en_orden():
    juicio = juzgar(observado())
    assert juicio["ok"] and fallan(observado()) == set()


def test_un_reporte_sin_su_hecho_es_una_perdida():
    o = observado()
    o.hechos = o.hechos[1:]
    assert fallan(o) == {"reportes perdidos"}


def test_dos_ids_distintos_para_la_misma_causa_son_un_duplicado_y_la_misma_copia_no():
    o = observado()
    o.hechos.append(Hecho("alva.capacitacion", "f1", SESION_COMPLETADA, "r1", "S1", "i"))  # republicado: mismo id
    assert fallan(o) == set()
    o.hechos.append(Hecho("alva.capacitacion", "f9", SESION_COMPLETADA, "r1", "S1", "i"))
    assert fallan(o) == {"hechos duplicados (id distinto, misma causa)"}


def test_personas_contadas_dos_veces_o_de_menos():
    assert fallan(observado(personas_bd={"C1": 4.0})) == {"convenios con personas contadas de más"}
    assert fallan(observado(personas_bd={"C1": 2.0})) == {"convenios con personas de menos"}


def test_distintivos_que_faltan_sobran_o_no_corresponden():
    o = observado()
    o.hechos.append(Hecho("alva.distintivos", "d2", DISTINTIVO_OTORGADO, "y", "D", "i", convenio_id="C1"))
    o.correos.append(Correo("d2", "enlace@i.example", "distintivo_otorgado", "<m2>"))
    assert fallan(o) == {"convenios con más de un distintivo"}
    o = observado(hechos=observado().hechos[:2], correos=[])
    assert fallan(o) == {"convenios que cumplen sin distintivo"}
    o = observado()
    o.hechos.append(Hecho("alva.distintivos", "d3", DISTINTIVO_OTORGADO, "z", "D", "h", convenio_id="CH"))
    assert "distintivos sin objetivos cumplidos" in fallan(o)


def test_correo_repetido_o_que_falta():
    o = observado()
    o.correos.append(Correo("d1", "enlace@i.example", "distintivo_otorgado", "<m1>"))
    assert fallan(o) == {"correos repetidos (mismo evento y destinatario)"}
    assert fallan(observado(correos=[])) == {"distintivos sin su correo al enlace"}


def test_una_entrada_hostil_sin_rechazo_con_dos_o_aceptada_falla():
    hostil = "entradas hostiles sin exactamente un rechazo"
    assert fallan(observado(rechazos=[])) == {hostil}
    dos = observado()
    dos.rechazos.append(RechazoVisto("j2", "alva.ingreso.h", 0, 5, None, "json_invalido", "capacitacion"))
    assert fallan(dos) == {hostil}
    assert juzgar(dos)["hostiles"][0]["codigos"] == ["json_invalido (convenios)", "json_invalido (capacitacion)"]
    procesada = observado(hostiles=[{**observado().hostiles[0], "entrada_id": "h1"}])
    procesada.hechos.append(Hecho("alva.distintivos", "e1", "mx.alva.distintivos.distintivo.evaluado.v1", "h1",
                                  "CH", "h"))
    assert fallan(procesada) == {hostil}


def test_lo_que_el_broker_no_acepta_no_espera_rechazo():
    negado = {"nombre": "sobre_el_limite", "entrada_id": "h2", "topico": "alva.ingreso.h", "particion": None,
              "offset": None, "negado_por_broker": "MessageSizeTooLargeError", "codigo_esperado": None}
    o = observado()
    o.hostiles.append(negado)
    assert fallan(o) == set()


def test_un_rechazo_del_reporte_valido_cuyo_id_se_reuso_cuenta_para_la_entrada_hostil():
    o = observado(hostiles=[{"nombre": "id_reusado_otro_contenido", "entrada_id": "r1", "topico": "alva.ingreso.i",
                             "particion": 1, "offset": 9, "codigo_esperado": None}],
                  rechazos=[RechazoVisto("j3", "alva.ingreso.i", 1, 9, "r1", "id_reusado", "capacitacion")])
    assert fallan(o) == set()


def test_una_quietud_que_no_llega_nombra_lo_atascado():
    o = observado(quietudes=[{"fase": "final", "quieto": False, "segundos": 90,
                              "atascos": ["alva-capacitacion alva.ingreso.h[2]: 1 sin leer"]}])
    filas = [f for f in juzgar(o)["filas"] if not f.ok]
    assert [f.nombre for f in filas] == ["quietud (final)"] and "alva.ingreso.h[2]" in filas[0].detalle


def test_una_falla_que_no_se_pudo_provocar_o_no_se_recupero_falla_la_corrida():
    bien = {"tipo": "kafka", "objetivo": "broker", "provocada": True, "recuperada": True, "nota": ""}
    assert fallan(observado(fallas=[bien])) == set()
    sin_provocar = {**bien, "provocada": False, "recuperada": False, "nota": "AttributeError"}
    assert fallan(observado(fallas=[bien, sin_provocar])) == {"fallas provocadas"}
    atascada = {**bien, "tipo": "postgres", "objetivo": "postgres", "recuperada": False}
    assert fallan(observado(fallas=[atascada])) == {"fallas sin recuperarse"}


def test_una_reconstruccion_distinta_o_que_publica_otra_vez_falla_la_corrida():
    igual = {"servicio": "convenios", "eventos": 10, "segundos": 1.0, "tablas": 3, "diferentes": {}}
    assert fallan(observado(reconstrucciones=[igual], republicados=0)) == set()
    distinta = {**igual, "servicio": "distintivos", "diferentes": {"distintivos": 30}}
    assert fallan(observado(reconstrucciones=[igual, distinta], republicados=0)) == {
        "distintivos reconstruido desde los tópicos"}
    assert fallan(observado(reconstrucciones=[igual], republicados=2)) == {
        "publicado otra vez al arrancar tras reconstruir"}
