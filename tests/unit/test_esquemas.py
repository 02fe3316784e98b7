"""Los contratos: cada evento del diseño tiene modelo, tópico y esquema JSON exportado y al día."""

import json

import pytest
from jsonschema import Draft202012Validator

from esquemas import TIPOS, CloudEvent
from esquemas.exportar import CARPETA, CARPETA_EJEMPLOS, ejemplos_json, esquemas_json, texto
from plataforma.permisos import ESCRIBE

pytestmark = pytest.mark.unit

EVENTOS_DEL_DISENO = {
    "alva.convenios": ["convenio.firmado", "convenio.modificado", "convenio.cancelado", "evidencia.recibida",
                       "evidencia.rechazada", "objetivo.avanzado", "objetivo.cumplido"],
    "alva.capacitacion": ["sesion.programada", "sesion.completada", "sesion.cancelada", "constancia.emitida"],
    "alva.distintivos": ["distintivo.evaluado", "distintivo.otorgado", "distintivo.renovado", "distintivo.revocado",
                         "distintivo.vencido"],
    "alva.notificaciones": ["notificacion.enviada", "notificacion.fallida"],
}


# Lo que ningún servicio consume va en un tópico aparte del de su dueño (README, Topics): quien sigue el tópico no
# recibe registros ajenos por cada uno suyo.
APARTE = {"constancia.emitida": "alva.capacitacion.constancias"}


@pytest.mark.parametrize("topico,evento", [(t, e) for t, es in EVENTOS_DEL_DISENO.items() for e in es])
def test_cada_evento_del_diseno_tiene_modelo_y_topico(topico, evento):
    servicio = topico.removeprefix("alva.")
    tipo = TIPOS[f"mx.alva.{servicio}.{evento}.v1"]
    assert tipo.topico == APARTE.get(evento, topico)
    assert tipo.topico in ESCRIBE[servicio], "sólo su servicio lo escribe"
    assert tipo.modelo.__doc__, "cada modelo explica qué significa"


def test_los_esquemas_exportados_estan_al_dia():
    # Si esta prueba falla: `make esquemas` y confirmar los archivos.
    esperados = esquemas_json()
    en_disco = {p.name: p.read_text(encoding="utf-8") for p in CARPETA.glob("*.json")}
    assert set(en_disco) == set(esperados)
    desactualizados = [n for n, e in esperados.items() if en_disco[n] != texto(e)]
    assert not desactualizados


def test_cada_campo_de_datos_esta_descrito_o_tipado():
    esquema = json.loads((CARPETA / "mx.alva.ingreso.sesion.completada.v1.json").read_text())
    assert esquema["$id"] == "urn:mx.alva:esquema:mx.alva.ingreso.sesion.completada.v1"
    assert "asistentes" in esquema["required"]
    assert esquema["properties"]["asistentes"]["minItems"] == 1


def test_el_sobre_lleva_las_extensiones_de_alva():
    evento = CloudEvent(specversion="1.0", id="e-1", source="/pruebas", type="mx.alva.ingreso.sesion.completada.v1",
                        time="2026-11-20T12:00:00Z", data={}, institucion="imss-guanajuato", correlationid="c",
                        causationid="k")
    crudo = json.loads(evento.a_json())
    assert crudo["specversion"] == "1.0"
    assert {"id", "source", "type", "time", "institucion", "correlationid", "causationid"} <= set(crudo)
    assert evento.llave == b"imss-guanajuato"


def test_hay_un_ejemplo_al_dia_de_cada_reporte_de_ingreso():
    reportes = {t.nombre for t in TIPOS.values() if t.es_reporte}
    esperados = ejemplos_json()
    assert {n.removesuffix(".json") for n in esperados} == reportes
    for nombre, ejemplo in esperados.items():
        assert (CARPETA_EJEMPLOS / nombre).read_text(encoding="utf-8") == texto(ejemplo), f"`make esquemas`: {nombre}"


@pytest.mark.parametrize("nombre", sorted(p.name for p in CARPETA_EJEMPLOS.glob("*.json")))
def test_cada_ejemplo_valida_con_los_esquemas_json_exportados(nombre):
    # Lo que haría el sistema de una institución en otro lenguaje: validar con los archivos, no con pydantic.
    ejemplo = json.loads((CARPETA_EJEMPLOS / nombre).read_text(encoding="utf-8"))
    sobre = json.loads((CARPETA / "cloudevent.json").read_text(encoding="utf-8"))
    datos = json.loads((CARPETA / nombre).read_text(encoding="utf-8"))
    Draft202012Validator(sobre).validate(ejemplo)
    Draft202012Validator(datos).validate(ejemplo["data"])


def test_el_esquema_json_rechaza_lo_que_el_servicio_rechazaria():
    datos = json.loads((CARPETA / "mx.alva.ingreso.sesion.completada.v1.json").read_text(encoding="utf-8"))
    ejemplo = json.loads((CARPETA_EJEMPLOS / "mx.alva.ingreso.sesion.completada.v1.json").read_text(encoding="utf-8"))
    malos = [{**ejemplo["data"], "asistentes": []}, {**ejemplo["data"], "asistentes": ["Ana López"]},
             {**ejemplo["data"], "horas": 0}, {**ejemplo["data"], "campo_inventado": 1}]
    for malo in malos:
        assert list(Draft202012Validator(datos).iter_errors(malo)), malo
