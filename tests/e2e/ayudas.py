"""Enviar reportes como lo haría el sistema de una institución y reconocer los eventos que se esperan."""

import asyncio
from datetime import date, timedelta

import asyncpg

from alva.escenario import OTORGANTE, Reporte, reporte
from esquemas.comun import Contacto, Firmante, Institucion, Objetivo, Vigencia
from esquemas.ingreso import ReporteConvenioFirmado
from esquemas.rechazos import EntradaRechazada


async def enviar(productor, r: Reporte, valor: bytes | None = None) -> None:
    await r.enviar(productor, valor)


def de_tipo(modelo, **datos):
    return lambda e: e.type == modelo.tipo and all(e.data.get(k) == v for k, v in datos.items())


def rechazo_de(r: Reporte):
    return lambda e: e.type == EntradaRechazada.tipo and e.data["entrada_id"] == str(r.evento.id)


def convenio(convenio_id: str, institucion: str, objetivos: list[Objetivo], *, inicio: date | None = None,
             dias: int = 365) -> Reporte:
    """El reporte del otorgante: un convenio ALVA con `institucion` y estos objetivos."""
    inicio = inicio or date.today() - timedelta(days=30)
    return reporte(OTORGANTE, ReporteConvenioFirmado(
        convenio_id=convenio_id, programa="ALVA", otorgante=OTORGANTE,
        institucion=Institucion(id=institucion, nombre=f"Institución {institucion}", tipo="municipio"),
        firmantes=[Firmante(nombre="Karla Gabriela Alcaraz Olvera", cargo="Procuradora", institucion=OTORGANTE)],
        fecha_firma=inicio, vigencia=Vigencia(inicio=inicio, fin=inicio + timedelta(days=dias)), objetivos=objetivos,
        contactos=[Contacto(nombre="Instancia Municipal de las Mujeres", email=f"mujeres@{institucion}.example")],
    ))


def objetivo(objetivo_id: str, indicador: str, meta: float, **filtros) -> Objetivo:
    return Objetivo(objetivo_id=objetivo_id, descripcion=f"Objetivo {objetivo_id}", indicador=indicador, meta=meta,
                    **filtros)


async def esperar_consulta(dsn: str, sql: str, *args, plazo_s: float = 30):
    """Espera (con plazo) a que una proyección de un servicio refleje algo que aún no publica como evento."""
    conn = await asyncpg.connect(dsn)
    try:
        limite = asyncio.get_running_loop().time() + plazo_s
        while (valor := await conn.fetchval(sql, *args)) is None or valor is False:
            if asyncio.get_running_loop().time() > limite:
                raise TimeoutError(f"la consulta no se cumplió en {plazo_s:g} s: {sql}")
            await asyncio.sleep(0.1)
        return valor
    finally:
        await conn.close()
