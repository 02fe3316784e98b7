"""El evaluador por el broker real: credencial verificable, revocaciones, un solo distintivo con dos instancias."""

from contextlib import AsyncExitStack
from datetime import date

import pytest

from alva import escenario
from alva.escenario import OTORGANTE, reporte
from esquemas.distintivos import DistintivoEvaluado, DistintivoOtorgado, DistintivoRevocado, ListaEstadoPublicada
from esquemas.ingreso import ReporteConvenioCancelado, ReporteDistintivoRevocado, ReporteSesionCancelada
from servicios.distintivos.claves import cargar_claves
from servicios.distintivos.config import AjustesDistintivos
from servicios.distintivos.verificar import verificar
from tests.conftest import unico
from tests.e2e.ayudas import de_tipo, enviar
from tests.servicios import arrancar

pytestmark = pytest.mark.e2e


async def otorgar(productor, observador, prefijo: str):
    corrida = unico(prefijo)
    convenio = escenario.convenio(corrida, date.today())
    for r in [convenio, *escenario.sesiones(corrida, date.today())]:
        await enviar(productor, r)
    cid = convenio.evento.data["convenio_id"]
    return cid, await observador.esperar(de_tipo(DistintivoOtorgado, convenio_id=cid))


def clave_publica():
    """La pública de la clave con que firma hoy el otorgante (la más nueva de su carpeta)."""
    return cargar_claves(AjustesDistintivos().carpeta_claves, OTORGANTE)[-1].privada.public_key()


async def test_la_credencial_se_verifica_y_se_revoca_al_cancelar_el_convenio(productor, observador):
    cid, otorgado = await otorgar(productor, observador, "cred")
    jwt = otorgado.data["credencial_jwt"]
    # Un extraño, con la clave pública del otorgante y sin red: la credencial es válida.
    informe = verificar(jwt, clave_publica())
    assert informe.valida, informe.hallazgos
    assert otorgado.data["credencial"]["credentialSubject"]["achievement"]["name"] == "Distintivo ALVA"
    evaluado = await observador.esperar(de_tipo(DistintivoEvaluado, convenio_id=cid, elegible=True))
    assert evaluado.data["reglas_version"] == 2 and not evaluado.data["faltantes"]  # ALVA v2: lo del registro público

    # PRODHEG cancela el convenio: el distintivo se revoca y la lista de estado lo dice.
    await enviar(productor, reporte(OTORGANTE, ReporteConvenioCancelado(convenio_id=cid, motivo="Incumplimiento",
                                                                       fecha=date.today())))
    revocado = await observador.esperar(de_tipo(DistintivoRevocado, convenio_id=cid))
    assert "Convenio cancelado" in revocado.data["motivo"]
    lista = await observador.esperar(lambda e: e.type == ListaEstadoPublicada.tipo and e.causationid == revocado.causationid)
    informe = verificar(jwt, clave_publica(), lista.data["credencial_jwt"])
    assert not informe.valida
    assert any("REVOCADA" in h for h in informe.hallazgos)


async def test_una_persona_operadora_revoca_un_distintivo(productor, observador):
    _, otorgado = await otorgar(productor, observador, "oper")
    distintivo_id = otorgado.data["distintivo_id"]
    ajeno = reporte("penjamo", ReporteDistintivoRevocado(distintivo_id=distintivo_id, motivo="No me gusta"))
    await enviar(productor, ajeno)
    rechazo = await observador.esperar(lambda e: e.type.endswith("entrada.rechazada.v1")
                                       and e.data["entrada_id"] == str(ajeno.evento.id))
    assert rechazo.data["codigo"] == "otorgante_no_autorizado"
    await enviar(productor, reporte(OTORGANTE, ReporteDistintivoRevocado(distintivo_id=distintivo_id,
                                                                        motivo="Se acreditó un incumplimiento grave")))
    revocado = await observador.esperar(de_tipo(DistintivoRevocado, distintivo_id=distintivo_id))
    assert revocado.data["motivo"] == "Se acreditó un incumplimiento grave"


async def test_una_correccion_que_deja_un_objetivo_sin_cumplir_revoca(productor, observador):
    cid, otorgado = await otorgar(productor, observador, "revert")
    # El IMSS cancela la tercera sesión: ya no llegan a 10 personas ni a 3 sesiones.
    sesion_id = f"IMSS-GTO-{cid.removeprefix('ALVA-GTO-IMSS-')}-S3"
    await enviar(productor, reporte(escenario.IMSS, ReporteSesionCancelada(sesion_id=sesion_id, convenio_id=cid,
                                                                           motivo="Se registró dos veces")))
    revocado = await observador.esperar(de_tipo(DistintivoRevocado, distintivo_id=otorgado.data["distintivo_id"]))
    assert "dejó de cumplirse" in revocado.data["motivo"]


async def test_dos_instancias_del_evaluador_otorgan_una_sola_vez(infra, productor, observador):
    # Una segunda instancia del evaluador se suma al grupo de consumo; Kafka reparte las particiones.
    async with AsyncExitStack() as pila:
        await arrancar(pila, "distintivos", infra)
        cids = [(await otorgar(productor, observador, f"dos{n}"))[0] for n in range(3)]
        # Y la institución recibe su aviso de cada uno: el distintivo se otorgó antes, una vez.
        for cid in cids:
            otorgado = await observador.esperar(de_tipo(DistintivoOtorgado, convenio_id=cid))
            await observador.esperar(lambda e, o=otorgado: e.type.endswith("notificacion.enviada.v1")
                                     and e.data["evento_id"] == str(o.id))
    for cid in cids:
        assert sum(de_tipo(DistintivoOtorgado, convenio_id=cid)(e) for _, e in observador.vistos) == 1
