"""Fase `reconstruccion`: llena los tópicos hasta N eventos (1 000 000) con cadenas coherentes (convenio, reportes
y los hechos de capacitacion y convenios) y mide cuánto tarda `alva reconstruir` con cada servicio.

Las fases anteriores dejan a cada grupo al final de sus entradas sin haberlas procesado todas (cada fase mide desde
ahí), así que lo reconstruido no tiene por qué igualar a lo que había: aquí se mide el tiempo de repetir todo; la
igualdad la prueban `make test` (tests/e2e/test_reconstruccion.py) y `make caos`."""

import asyncio
import json
import re
import subprocess
import sys
import time
import uuid

from alva.rendimiento import carga
from alva.rendimiento.banco import Banco, avisar
from alva.rendimiento.carga import Convenio, Mensaje
from alva.rendimiento.informe import tabla
from alva.rendimiento.procesos import SERVICIOS
from alva.rendimiento.sonda import enviar

# Los tópicos que algún servicio repite al reconstruir: alva.capacitacion.constancias no cuenta (nadie lo lee)
TOPICOS = r"alva\.(?:ingreso\.[^.]+|convenios|capacitacion|distintivos|notificaciones|rechazos)"
REPORTES_POR_CONVENIO = 100
TANDA = 20_000  # eventos generados y enviados de una vez
_UUID = rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


async def medir(banco: Banco) -> dict:
    meta = banco.opciones.eventos_reconstruccion
    existentes = await contar(banco)
    agregados, llenado_s = 0, None
    if existentes < meta:
        avisar(f"reconstruccion: hay {existentes:,} eventos; generando {meta - existentes:,} más")
        inicio = time.monotonic()
        agregados = await llenar(banco, meta - existentes)
        llenado_s = round(time.monotonic() - inicio, 1)
    await banco.saltar(SERVICIOS)  # como si cada servicio hubiera leído todo: se repite todo
    resultado = {"meta": meta, "existentes": existentes, "agregados": agregados, "llenado_s": llenado_s,
                 "eventos": await contar(banco), "servicios": {}}
    for servicio in SERVICIOS:
        avisar(f"reconstruccion: alva reconstruir {servicio}")
        inicio = time.monotonic()
        codigo, informe = await _orden(banco, servicio)
        resultado["servicios"][servicio] = {"segundos": round(time.monotonic() - inicio, 1), "codigo": codigo,
                                            "entradas": informe.get("eventos"), "iguales": informe.get("iguales")}
    return resultado


async def contar(banco: Banco) -> int:
    tps = await banco.sonda.particiones(await banco.sonda.topicos(TOPICOS))
    finales, iniciales = await banco.sonda.finales(tps), await banco.sonda.iniciales(tps)
    return sum(finales[tp] - iniciales[tp] for tp in tps)


async def llenar(banco: Banco, faltan: int) -> int:
    """Convenios de 100 reportes, uno tras otro, con todo lo que la cadena publicaría por ellos, hasta `faltan`
    eventos en los tópicos que cuenta `contar` (las constancias van también, a su tópico, pero no cuentan).

    La cadena de un convenio se hace una vez con los modelos y el sobre de la plataforma; las demás son copias de
    esos bytes con su propia institución, su propio convenio y ids nuevos (así un millón toma segundos)."""
    institucion = banco.instituciones[0]
    convenio = Convenio(institucion, f"REND-{banco.corrida}-rec-0", REPORTES_POR_CONVENIO, banco.hoy)
    molde = cadena(convenio)
    cuentan = sum(1 for m in molde if re.fullmatch(TOPICOS, m.topico))
    contados, tanda, k = 0, [], 0
    while contados < faltan:
        otra = banco.instituciones[k % len(banco.instituciones)]
        tanda += copiar(molde, {convenio.convenio_id: f"REND-{banco.corrida}-rec-{k}", institucion: otra})
        contados, k = contados + cuentan, k + 1
        if len(tanda) >= TANDA:
            await enviar(tanda)
            tanda = []
    await enviar(tanda)
    return contados


def cadena(convenio: Convenio) -> list[Mensaje]:
    reporte = convenio.reporte()
    mensajes = [reporte, convenio.firmado(reporte)]
    for n in range(1, convenio.reportes + 1):
        sesion = convenio.sesion(f"S-{convenio.convenio_id}-{n}")  # único en la institución
        hechos = carga.de_capacitacion(sesion)
        mensajes += [sesion, *hechos, *convenio.avances(hechos[0], n)]
    return mensajes


def copiar(molde: list[Mensaje], cambios: dict[str, str]) -> list[Mensaje]:
    """Los mismos mensajes con cada texto de `cambios` reemplazado y cada id (UUID) cambiado por uno nuevo, el mismo
    en todos los mensajes (así `causationid` y `correlationid` siguen apuntando a su causa)."""
    reemplazos = {k.encode(): v.encode() for k, v in cambios.items()}
    patron = re.compile(b"|".join([*map(re.escape, sorted(reemplazos, key=len, reverse=True)), _UUID]))
    nuevos: dict[bytes, bytes] = {}

    def cambiar(m: re.Match) -> bytes:
        viejo = m.group(0)
        return reemplazos.get(viejo) or nuevos.setdefault(viejo, str(uuid.uuid4()).encode())

    return [Mensaje(_texto(m.topico, cambios), None, patron.sub(cambiar, m.valor), m.cabeceras,
                    reemplazos.get(m.llave, m.llave)) for m in molde]


def _texto(texto: str, cambios: dict[str, str]) -> str:
    for viejo, nuevo in cambios.items():
        texto = texto.replace(viejo, nuevo)
    return texto


async def _orden(banco: Banco, servicio: str) -> tuple[int | None, dict]:
    """`alva reconstruir <servicio> --json` como la correría quien opera (su avance a la bitácora): (código, informe);
    código None si no terminó a tiempo."""
    banco.bitacoras.mkdir(parents=True, exist_ok=True)
    with open(banco.bitacoras / "reconstruir.log", "ab") as bitacora:
        try:
            r = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "alva", "reconstruir", servicio, "--json"],
                                        stdout=subprocess.PIPE, stderr=bitacora, timeout=banco.opciones.plazo)
        except subprocess.TimeoutExpired:
            return None, {}
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        return r.returncode, {}


def imprimir(r: dict, resultados: dict) -> str:
    llenado = (f"; se agregaron {r['agregados']:,} en {r['llenado_s']:.0f} s" if r["agregados"] else "")
    titulo = f"Reconstrucción de cada proyección desde {r['eventos']:,} eventos{llenado}"
    filas = []
    for s, v in r["servicios"].items():
        if v["codigo"] is None:
            filas.append((s, "no terminó en el plazo", "", ""))
        elif v["codigo"] not in (0, 1) or v.get("entradas") is None:
            filas.append((s, f"falló (código {v['codigo']})", "", ""))
        else:
            filas.append((s, f"{v['segundos']:.1f}", f"{v['entradas']:,}", f"{v['entradas'] / max(v['segundos'], 0.1):,.0f}"))
    total = sum(v["segundos"] for v in r["servicios"].values())
    return tabla(titulo, ["servicio", "segundos", "entradas repetidas", "entradas/s"], filas,
                 [f"Las cuatro: {total:.0f} s. Meta: < 5 minutos desde 1 000 000 de eventos (cada servicio repite "
                  "sólo lo que lee)."])
