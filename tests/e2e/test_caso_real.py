"""El caso del registro público, de punta a punta: un municipio firma el convenio ALVA con la PRODHEG, capacita a 428
personas en 12 sesiones y da 747 asesorías, todo por su propio tópico; recibe un solo distintivo, su correo, y su
credencial dice esas cifras y se verifica con `alva verificar` y con otra biblioteca JOSE."""

import json
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta

import asyncpg
import jwt
import pytest
from aiokafka import AIOKafkaProducer
from jwcrypto import jwk, jws

from alva.escenario import OTORGANTE, Reporte, reporte
from esquemas.comun import Contacto, Firmante, Institucion, Objetivo, Vigencia
from esquemas.convenios import ObjetivoCumplido
from esquemas.distintivos import DistintivoOtorgado, ListaEstadoPublicada
from esquemas.ingreso import ReporteActividad, ReporteConvenioFirmado, ReporteSesionCompletada
from esquemas.notificaciones import NotificacionEnviada
from plataforma.kafka import conexion_embebida
from plataforma.topicos import dar_de_alta
from tests.conftest import unico
from tests.e2e.ayudas import de_tipo, enviar

pytestmark = pytest.mark.e2e

PERSONAS, META_PERSONAS = 428, 400
ASESORIAS, META_ASESORIAS = 747, 700
TEMAS = ["Prevención del hostigamiento y acoso sexual", "Violencia digital contra las mujeres", "Nuevas masculinidades",
         "Lenguaje incluyente", "Derechos humanos de las mujeres", "Violencia política en razón de género"]
PRESENCIALES = {2, 6, 10}  # 3 de las 12 sesiones; las otras 9, virtuales
ASESORIAS_POR_MES = [62] * 11 + [65]  # 682 en once meses: el objetivo se cumple con el último reporte


def firmado(municipio: str, nombre: str, convenio_id: str, inicio: date, correo: str) -> Reporte:
    """PRODHEG registra el convenio desde su propio tópico: capacitar a 400 personas y dar 700 asesorías."""
    return reporte(OTORGANTE, ReporteConvenioFirmado(
        convenio_id=convenio_id, programa="ALVA", otorgante=OTORGANTE,
        institucion=Institucion(id=municipio, nombre=nombre, tipo="municipio"),
        firmantes=[Firmante(nombre="Karla Gabriela Alcaraz Olvera", cargo="Procuradora", institucion=OTORGANTE),
                   Firmante(nombre="Presidencia Municipal", cargo="Presidenta Municipal", institucion=municipio)],
        fecha_firma=inicio, vigencia=Vigencia(inicio=inicio, fin=inicio + timedelta(days=730)),
        objetivos=[Objetivo(objetivo_id="capacitar", indicador="personas_capacitadas", meta=META_PERSONAS,
                            descripcion=f"Capacitar al menos a {META_PERSONAS} personas servidoras públicas"),
                   Objetivo(objetivo_id="asesorias", indicador="asesorias_brindadas", meta=META_ASESORIAS,
                            descripcion=f"Brindar al menos {META_ASESORIAS} asesorías a mujeres")],
        contactos=[Contacto(nombre="Instituto Municipal de las Mujeres", email=correo)]))


def reportes_del_anio(municipio: str, convenio_id: str, inicio: date) -> list[Reporte]:
    """Doce meses: una sesión (sus asistentes se repiten con la siguiente) y las asesorías de cada mes."""
    personas = [f"mun-{n:04d}" for n in range(PERSONAS)]
    reportes = []
    for mes in range(12):
        fecha = inicio + timedelta(days=30 * mes + 5)
        asistentes = personas[mes * PERSONAS // 12:(mes + 1) * PERSONAS // 12 + 6]
        reportes.append(reporte(municipio, ReporteSesionCompletada(
            sesion_id=f"{municipio}-S{mes + 1:02d}", convenio_id=convenio_id, tema=TEMAS[mes % len(TEMAS)],
            modalidad="presencial" if mes in PRESENCIALES else "virtual", fecha=fecha, horas=3,
            facilitador="PRODHEG, Dirección de Capacitación", asistentes=asistentes)))
        reportes.append(reporte(municipio, ReporteActividad(
            actividad_id=f"{municipio}-A{mes + 1:02d}", convenio_id=convenio_id, indicador="asesorias_brindadas",
            cantidad=ASESORIAS_POR_MES[mes], fecha=fecha + timedelta(days=20),
            descripcion="Asesorías jurídicas y psicológicas del Instituto Municipal de las Mujeres")))
    return reportes


async def enviar_como(infra, municipio: str, reportes: list[Reporte]) -> None:
    """Con el usuario de Kafka del municipio (sólo puede escribir en su ingreso), como lo haría su sistema."""
    opciones = conexion_embebida(f"institucion-{municipio}").aiokafka() if infra.origen == "embebido" \
        else infra.opciones()
    productor = AIOKafkaProducer(**opciones, acks="all", enable_idempotence=True)
    await productor.start()
    try:
        for r in reportes:
            assert r.topico == f"alva.ingreso.{municipio}"
            await r.enviar(productor)
    finally:
        await productor.stop()


async def jwks_publicado(dsn: str) -> dict:
    """Las claves públicas del otorgante tal como distintivos las deja para publicarse (su JWKS)."""
    conn = await asyncpg.connect(dsn)
    try:
        filas = await conn.fetch("SELECT jwk FROM distintivos.claves_publicas WHERE otorgante = $1 ORDER BY orden",
                                 OTORGANTE)
    finally:
        await conn.close()
    return {"keys": [json.loads(f["jwk"]) for f in filas]}


async def test_un_municipio_capacita_y_asesora_y_su_distintivo_dice_sus_cifras(
        infra, productor, observador, buzon, tmp_path):
    municipio = unico("salamanca")
    nombre, correo = "Municipio de Salamanca", f"immujeres@{municipio}.example"
    convenio_id = f"ALVA-GTO-{municipio.upper()}"
    inicio = date.today() - timedelta(days=380)
    anio = reportes_del_anio(municipio, convenio_id, inicio)
    sesiones = [r.evento.data for r in anio if r.evento.type == ReporteSesionCompletada.tipo]
    assert Counter(s["modalidad"] for s in sesiones) == {"virtual": 9, "presencial": 3}
    assert len({a for s in sesiones for a in s["asistentes"]}) == PERSONAS < sum(len(s["asistentes"]) for s in sesiones)
    assert sum(r.evento.data["cantidad"] for r in anio if r.evento.type == ReporteActividad.tipo) == ASESORIAS
    await dar_de_alta(infra.admin, municipio)
    await enviar(productor, firmado(municipio, nombre, convenio_id, inicio, correo))
    await enviar_como(infra, municipio, anio)

    # Ambos objetivos se cumplen con el último reporte de cada clase, y el evaluador otorga una vez.
    capacitar = await observador.esperar(de_tipo(ObjetivoCumplido, convenio_id=convenio_id, objetivo_id="capacitar"))
    asesorias = await observador.esperar(de_tipo(ObjetivoCumplido, convenio_id=convenio_id, objetivo_id="asesorias"))
    assert (capacitar.data["valor"], asesorias.data["valor"]) == (PERSONAS, ASESORIAS)
    otorgado = await observador.esperar(de_tipo(DistintivoOtorgado, convenio_id=convenio_id))
    lista = await observador.esperar(lambda e: e.type == ListaEstadoPublicada.tipo
                                     and e.causationid == otorgado.causationid)
    enviada = await observador.esperar(de_tipo(NotificacionEnviada, evento_id=str(otorgado.id), destinatario=correo))
    assert sum(de_tipo(DistintivoOtorgado, convenio_id=convenio_id)(e) for _, e in observador.vistos) == 1
    conn = await asyncpg.connect(infra.postgres_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM distintivos.distintivos WHERE convenio_id = $1",
                                   convenio_id) == 1
    finally:
        await conn.close()

    # La credencial afirma las cifras finales.
    credencial = jwt.decode(otorgado.data["credencial_jwt"], options={"verify_signature": False})
    narrativa = credencial["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert f"{PERSONAS} de {META_PERSONAS}" in narrativa and f"{ASESORIAS} de {META_ASESORIAS}" in narrativa
    assert credencial["credentialSubject"]["name"] == nombre

    # El correo llega al Instituto Municipal de las Mujeres, con la credencial adjunta y cómo verificarla.
    mensaje = await buzon.esperar(lambda m: m["X-ALVA-Notificacion"] == enviada.data["notificacion_id"], 30)
    assert mensaje["To"] == correo and mensaje["Subject"] == f"PRODHEG otorga el Distintivo ALVA a {nombre}"
    texto = mensaje.get_body(preferencelist=("plain",)).get_content()
    assert f"{PERSONAS} de {META_PERSONAS}" in texto and f"{ASESORIAS} de {META_ASESORIAS}" in texto
    archivo = f"distintivo-{otorgado.data['distintivo_id']}.jwt"
    assert f"alva verificar {archivo}" in texto
    adjunto = {a.get_filename(): a.get_content() for a in mensaje.iter_attachments()}[archivo]

    # Con lo que tendría cualquiera: el adjunto, el JWKS publicado y la lista de estado publicada.
    (tmp_path / archivo).write_bytes(adjunto)
    jwks = await jwks_publicado(infra.postgres_dsn)
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    (tmp_path / "lista.jwt").write_text(lista.data["credencial_jwt"])
    r = subprocess.run([sys.executable, "-m", "alva", "verificar", archivo, "--jwks", "jwks.json", "--lista",
                        "lista.jwt", "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    informe = json.loads(r.stdout)
    assert informe["estado"] == "valida" and informe["titular"]["nombre"] == nombre
    assert f"Objetivo: Capacitar al menos a {META_PERSONAS} personas servidoras públicas: {PERSONAS} de " \
           f"{META_PERSONAS}" in informe["criterios"]
    assert f"Objetivo: Brindar al menos {META_ASESORIAS} asesorías a mujeres: {ASESORIAS} de {META_ASESORIAS}" \
           in informe["criterios"]

    # Y jwcrypto, que no sabe nada de ALVA, acepta la firma con la clave que nombra el kid.
    firmada = jws.JWS()
    firmada.deserialize(adjunto.decode())
    firmada.verify(jwk.JWKSet.from_json(json.dumps(jwks)).get_key(firmada.jose_header["kid"]), alg="EdDSA")
