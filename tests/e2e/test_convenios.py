"""Un convenio de Pénjamo con objetivos de toda clase, de la firma al último objetivo, por el broker real."""

from datetime import date, timedelta

import pytest

from alva.escenario import OTORGANTE, reporte
from esquemas.capacitacion import ConstanciaEmitida, SesionCompletada
from esquemas.convenios import (
    ConvenioCancelado,
    ConvenioModificado,
    EvidenciaRecibida,
    EvidenciaRechazada,
    ObjetivoAvanzado,
    ObjetivoCumplido,
    ObjetivoRevertido,
)
from esquemas.distintivos import DistintivoOtorgado
from esquemas.ingreso import (
    ReporteActividad,
    ReporteConvenioCancelado,
    ReporteConvenioModificado,
    ReporteEvidenciaEnviada,
    ReporteEvidenciaRevisada,
    ReporteSesionCancelada,
    ReporteSesionCompletada,
    ReporteSesionCorregida,
)
from tests.conftest import unico
from tests.e2e.ayudas import convenio, de_tipo, enviar, esperar_consulta, objetivo, rechazo_de

pytestmark = pytest.mark.e2e

PENJAMO = "penjamo"
HOY = date.today()


def sesion(convenio_id: str, sesion_id: str, asistentes: list[str], *, modalidad="presencial", horas=2.0,
           fecha=HOY, clase=ReporteSesionCompletada, **extra):
    # Los ids de sesión son de la institución y únicos en ella: se prefijan con el convenio de la prueba.
    return reporte(PENJAMO, clase(
        sesion_id=f"{convenio_id}:{sesion_id}", convenio_id=convenio_id, tema="Protocolo para prevenir el hostigamiento sexual",
        modalidad=modalidad, fecha=fecha, horas=horas, facilitador="IMUG", asistentes=asistentes, **extra))


def evidencia(convenio_id: str, evidencia_id: str, objetivo_id: str):
    return reporte(PENJAMO, ReporteEvidenciaEnviada(
        evidencia_id=evidencia_id, convenio_id=convenio_id, objetivo_id=objetivo_id,
        descripcion="Protocolo municipal actualizado, aprobado en cabildo", documento="folio:CAB-2025-118"))


def revision(convenio_id: str, evidencia_id: str, objetivo_id: str, dictamen: str, motivo: str | None = None):
    return reporte(OTORGANTE, ReporteEvidenciaRevisada(
        evidencia_id=evidencia_id, convenio_id=convenio_id, objetivo_id=objetivo_id, dictamen=dictamen, motivo=motivo))


async def test_objetivos_de_toda_clase_se_cumplen_uno_a_uno(productor, observador):
    cid = unico("PENJ")
    cumplido = lambda o: de_tipo(ObjetivoCumplido, convenio_id=cid, objetivo_id=o)  # noqa: E731
    await enviar(productor, convenio(cid, PENJAMO, [
        objetivo("personas", "personas_capacitadas", 3),
        objetivo("horas-presenciales", "horas_capacitacion", 4, modalidad="presencial"),
        objetivo("campana", "campanas_realizadas", 1),
        objetivo("asesorias", "asesorias_brindadas", 50),
        objetivo("protocolo", "protocolo_actualizado", 1),
    ]))
    # Dos sesiones: una virtual (no cuenta para las horas presenciales) y una presencial.
    await enviar(productor, sesion(cid, "S1", ["p-1", "p-2"], modalidad="virtual", horas=3))
    await enviar(productor, sesion(cid, "S2", ["p-2", "p-3"], horas=4))
    await observador.esperar(cumplido("personas"))
    horas = await observador.esperar(cumplido("horas-presenciales"))
    assert horas.data["valor"] == 4
    # Una campaña y asesorías en dos reportes.
    await enviar(productor, reporte(PENJAMO, ReporteActividad(
        actividad_id="CAMP-25N", convenio_id=cid, indicador="campanas_realizadas", cantidad=1, fecha=HOY,
        descripcion="Campaña ÚNETE del 25 de noviembre")))
    for n, cantidad in enumerate((30, 25)):
        await enviar(productor, reporte(PENJAMO, ReporteActividad(
            actividad_id=f"ASES-{n}", convenio_id=cid, indicador="asesorias_brindadas", cantidad=cantidad, fecha=HOY,
            descripcion="Asesorías jurídicas a mujeres")))
    await observador.esperar(cumplido("campana"))
    assert (await observador.esperar(cumplido("asesorias"))).data["valor"] == 55
    # El protocolo se prueba con evidencia que el otorgante aprueba.
    await enviar(productor, evidencia(cid, "EV-1", "protocolo"))
    await observador.esperar(de_tipo(EvidenciaRecibida, convenio_id=cid, evidencia_id="EV-1"))
    await enviar(productor, revision(cid, "EV-1", "protocolo", "aprobada"))
    await observador.esperar(cumplido("protocolo"))
    # Con todo cumplido, el evaluador otorga.
    await observador.esperar(de_tipo(DistintivoOtorgado, convenio_id=cid))
    cumplidos = [e for _, e in observador.vistos if e.type == ObjetivoCumplido.tipo and e.data["convenio_id"] == cid]
    assert len(cumplidos) == 5


async def test_evidencia_rechazada_y_luego_aprobada(productor, observador):
    cid = unico("PENJ")
    await enviar(productor, convenio(cid, PENJAMO, [objetivo("mecanismo", "mecanismo_cooperacion", 1)]))
    await enviar(productor, evidencia(cid, "EV-1", "mecanismo"))
    # La persona operadora revisa lo que ya recibió (llega por otro tópico: espera a verlo).
    await observador.esperar(de_tipo(EvidenciaRecibida, convenio_id=cid, evidencia_id="EV-1"))
    await enviar(productor, revision(cid, "EV-1", "mecanismo", "rechazada", "Falta la firma de ambas partes"))
    rechazada = await observador.esperar(de_tipo(EvidenciaRechazada, convenio_id=cid, evidencia_id="EV-1"))
    assert rechazada.data["motivo"] == "Falta la firma de ambas partes"
    assert rechazada.institucion == PENJAMO
    # La institución envía otra; el otorgante la aprueba y el objetivo se cumple.
    await enviar(productor, evidencia(cid, "EV-2", "mecanismo"))
    await observador.esperar(de_tipo(EvidenciaRecibida, convenio_id=cid, evidencia_id="EV-2"))
    await enviar(productor, revision(cid, "EV-2", "mecanismo", "aprobada"))
    await observador.esperar(de_tipo(ObjetivoCumplido, convenio_id=cid, objetivo_id="mecanismo"))


async def test_una_sesion_cancelada_despues_baja_el_avance_y_revierte_el_objetivo(productor, observador):
    cid = unico("PENJ")
    await enviar(productor, convenio(cid, PENJAMO, [objetivo("personas", "personas_capacitadas", 3)]))
    await enviar(productor, sesion(cid, "S1", ["p-1", "p-2"]))
    await enviar(productor, sesion(cid, "S2", ["p-3"]))
    await observador.esperar(de_tipo(ObjetivoCumplido, convenio_id=cid, objetivo_id="personas"))
    await enviar(productor, reporte(PENJAMO, ReporteSesionCancelada(sesion_id=f"{cid}:S2", convenio_id=cid,
                                                                     motivo="Se registró por error")))
    revertido = await observador.esperar(de_tipo(ObjetivoRevertido, convenio_id=cid, objetivo_id="personas"))
    assert revertido.data["valor"] == 2 and "S2" in revertido.data["motivo"]
    avance = await observador.esperar(de_tipo(ObjetivoAvanzado, convenio_id=cid, valor=2))
    assert avance.data["cumplido"] is False


async def test_una_correccion_sustituye_la_sesion_y_solo_emite_constancias_nuevas(productor, observador):
    cid = unico("PENJ")
    await enviar(productor, convenio(cid, PENJAMO, [objetivo("personas", "personas_capacitadas", 10)]))
    await enviar(productor, sesion(cid, "S1", ["p-1", "p-2"]))
    await observador.esperar(de_tipo(ObjetivoAvanzado, convenio_id=cid, valor=2))
    await enviar(productor, sesion(cid, "S1", ["p-1", "p-2", "p-3"], clase=ReporteSesionCorregida,
                                   motivo="Faltaba una asistente"))
    version2 = await observador.esperar(de_tipo(SesionCompletada, sesion_id=f"{cid}:S1", version=2))
    assert version2.data["asistentes"] == ["p-1", "p-2", "p-3"]
    await observador.esperar(de_tipo(ObjetivoAvanzado, convenio_id=cid, valor=3))
    constancias = [e for _, e in observador.vistos
                   if e.type == ConstanciaEmitida.tipo and e.data["convenio_id"] == cid]
    assert sorted(c.data["asistente"] for c in constancias) == ["p-1", "p-2", "p-3"]


async def test_una_modificacion_agrega_un_objetivo_contado_desde_lo_ya_hecho(productor, observador):
    cid = unico("PENJ")
    await enviar(productor, convenio(cid, PENJAMO, [objetivo("personas", "personas_capacitadas", 2)]))
    await enviar(productor, sesion(cid, "S1", ["p-1", "p-2"], horas=3))
    await observador.esperar(de_tipo(ObjetivoCumplido, convenio_id=cid, objetivo_id="personas"))
    await enviar(productor, reporte(OTORGANTE, ReporteConvenioModificado(
        convenio_id=cid, motivo="Se agregan horas de capacitación",
        objetivos=[objetivo("personas", "personas_capacitadas", 2), objetivo("horas", "horas_capacitacion", 3)])))
    modificado = await observador.esperar(de_tipo(ConvenioModificado, convenio_id=cid))
    assert modificado.data["version"] == 2
    # Las 3 horas de la sesión ya reportada cuentan para el objetivo nuevo.
    await observador.esperar(de_tipo(ObjetivoCumplido, convenio_id=cid, objetivo_id="horas"))
    # Pero quitar el objetivo ya cumplido no se permite.
    quitar = reporte(OTORGANTE, ReporteConvenioModificado(convenio_id=cid, motivo="Quitar personas",
                                                          objetivos=[objetivo("horas", "horas_capacitacion", 3)]))
    await enviar(productor, quitar)
    assert (await observador.esperar(rechazo_de(quitar))).data["codigo"] == "objetivo_ya_cumplido"


async def test_un_convenio_vence_solo_cuando_termina_su_vigencia(productor, observador):
    # Un convenio cuya vigencia terminó ayer: nadie envía nada más y aun así vence.
    cid = unico("PENJ")
    await enviar(productor, convenio(cid, PENJAMO, [objetivo("personas", "personas_capacitadas", 5)],
                                     inicio=HOY - timedelta(days=366), dias=365))
    vencido = await observador.esperar(de_tipo(ConvenioCancelado, convenio_id=cid), 30)
    assert vencido.data["por_vencimiento"] is True
    assert vencido.causationid is None


async def test_una_sesion_que_llega_antes_que_su_convenio_espera_y_cuenta(productor, observador):
    cid = unico("PENJ")
    # El sistema de Pénjamo reporta la sesión antes de que PRODHEG registre el convenio.
    adelantada = sesion(cid, "S1", ["p-1"])
    await enviar(productor, adelantada)
    await enviar(productor, reporte(PENJAMO, ReporteActividad(
        actividad_id="CAMP-1", convenio_id=cid, indicador="campanas_realizadas", cantidad=1, fecha=HOY,
        descripcion="Campaña Día Naranja")))
    await enviar(productor, convenio(cid, PENJAMO, [objetivo("personas", "personas_capacitadas", 1),
                                                     objetivo("campana", "campanas_realizadas", 1)]))
    await observador.esperar(de_tipo(ObjetivoCumplido, convenio_id=cid, objetivo_id="personas"))
    await observador.esperar(de_tipo(ObjetivoCumplido, convenio_id=cid, objetivo_id="campana"))
    assert not [e for _, e in observador.vistos if rechazo_de(adelantada)(e)]


async def test_reportes_repetidos_registran_una_sesion(productor, observador):
    cid = unico("PENJ")
    await enviar(productor, convenio(cid, PENJAMO, [objetivo("personas", "personas_capacitadas", 10)]))
    primera = sesion(cid, "S1", ["p-1"])
    igual = sesion(cid, "S1", ["p-1"])  # otro id de evento, mismo contenido
    distinta = sesion(cid, "S1", ["p-1", "p-9"])
    for r in (primera, primera, igual, distinta):
        await enviar(productor, r)
    assert (await observador.esperar(rechazo_de(distinta))).data["codigo"] == "sesion_duplicada_distinta"
    completadas = [e for _, e in observador.vistos if de_tipo(SesionCompletada, convenio_id=cid)(e)]
    assert len(completadas) == 1
    assert not [e for _, e in observador.vistos if rechazo_de(igual)(e)]


async def test_cada_reporte_malo_vuelve_con_su_codigo(infra, productor, observador):
    cid, otro = unico("PENJ"), unico("IMSS")
    await enviar(productor, convenio(cid, PENJAMO, [objetivo("personas", "personas_capacitadas", 10),
                                                     objetivo("protocolo", "protocolo_actualizado", 1)]))
    await enviar(productor, convenio(otro, "imss-guanajuato", [objetivo("personas", "personas_capacitadas", 10)]))
    # Capacitación ya conoce ambos convenios (si no, sus sesiones esperarían en vez de rechazarse).
    await esperar_consulta(infra.postgres_dsn, "SELECT count(*) = 2 FROM capacitacion.convenios "
                           "WHERE convenio_id = ANY($1)", [cid, otro])
    sin_asistentes = sesion(cid, "S-vacia", ["p-1"])
    sin_asistentes.evento.data["asistentes"] = []
    casos = {
        "fecha_fuera_de_vigencia": sesion(cid, "S-futura", ["p-1"], fecha=HOY + timedelta(days=400)),
        "convenio_ajeno": sesion(otro, "S-ajena", ["p-1"]),
        "sin_asistentes": sin_asistentes,
        "objetivo_desconocido": evidencia(cid, "EV-x", "no-existe"),
        "objetivo_sin_evidencia": evidencia(cid, "EV-y", "personas"),
        "evidencia_desconocida": revision(cid, "EV-nunca", "protocolo", "aprobada"),
        "otorgante_no_autorizado": reporte(PENJAMO, ReporteConvenioCancelado(convenio_id=cid, motivo="Yo mismo",
                                                                              fecha=HOY)),
        "indicador_sin_objetivo": reporte(PENJAMO, ReporteActividad(
            actividad_id="MAT-1", convenio_id=cid, indicador="material_distribuido", cantidad=100, fecha=HOY,
            descripcion="Cartillas de derechos")),
    }
    for r in casos.values():
        await enviar(productor, r)
    for codigo, r in casos.items():
        rechazo = await observador.esperar(rechazo_de(r), 30)
        assert rechazo.data["codigo"] == codigo, rechazo.data
        assert rechazo.data["motivo"] and rechazo.data["topico"] == r.topico
    assert (await observador.esperar(rechazo_de(casos["sin_asistentes"]))).data["campo"] == "data.asistentes"
    # Cancelado el convenio, una sesión más ya no entra.
    await enviar(productor, reporte(OTORGANTE, ReporteConvenioCancelado(convenio_id=cid, motivo="A petición", fecha=HOY)))
    await esperar_consulta(infra.postgres_dsn, "SELECT estado = 'cancelado' FROM capacitacion.convenios "
                           "WHERE convenio_id = $1", cid)
    tardia = sesion(cid, "S-tardia", ["p-1"])
    await enviar(productor, tardia)
    assert (await observador.esperar(rechazo_de(tardia), 30)).data["codigo"] == "convenio_no_vigente"
