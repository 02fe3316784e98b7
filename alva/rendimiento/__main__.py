"""`make bench` (python -m alva.rendimiento): las cifras del issue 13, lado a lado con aiokafka a pelo.

Arranca lo embebido (o usa lo que nombre el entorno) y los servicios como procesos, con sus ajustes por variables
de entorno, y mide por fases; cada fase imprime su tabla. Con --json imprime un solo JSON; en todo caso lo guarda
en <ALVA_DATOS>/rendimiento/. Las cifras de una máquina ocupada por otros son ruido: sirven las de una corrida
en una máquina quieta.
"""

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
import traceback
import uuid
from datetime import datetime
from pathlib import Path

from alva.demo import preparar_infraestructura
from alva.escenario import OTORGANTE
from alva.mundo import propio as mundo_propio
from alva.rendimiento import maquina
from alva.rendimiento.banco import Banco, avisar
from alva.rendimiento.fases import FASES, recursos
from alva.rendimiento.sonda import Sonda
from infra import entorno as infra

NORMAL = {"reportes": 10_000, "rondas": 3, "duracion": 20.0, "tasas": "50,200,1000", "reposo": 10.0,
          "eventos_reconstruccion": 1_000_000, "reportes_un_convenio": 100_000, "plazo": 600.0,
          "reportes_cadena": 30_000}
RAPIDO = {"reportes": 500, "rondas": 1, "duracion": 2.0, "tasas": "20,100", "reposo": 3.0,
          "eventos_reconstruccion": 5_000, "reportes_un_convenio": 1_000, "plazo": 120.0,
          "reportes_cadena": 500}


def opciones(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m alva.rendimiento", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fases", default=",".join(FASES),
                   help=f"cuáles y en qué orden (por omisión: {','.join(FASES)})")
    p.add_argument("--rapido", action="store_true", help="tamaños chicos: comprobar que todo funciona")
    p.add_argument("--rondas", type=int, help="rondas de raw y solo; se reporta la mediana (3; rápido 1)")
    p.add_argument("--reportes", type=int, help="reportes de raw, solo y escala (10000; rápido 500)")
    p.add_argument("--reportes-cadena", type=int,
                   help="reportes de cada una de las dos ráfagas de la fase cadena (30000; rápido 500)")
    p.add_argument("--instituciones", type=int, default=6, help="instituciones que reportan (6)")
    p.add_argument("--instancias", default="1,2,3", help="instancias de capacitacion en escala (1,2,3)")
    p.add_argument("--tasas", help="reportes/s de la fase latencia (50,200,1000; rápido 20,100)")
    p.add_argument("--duracion", type=float, help="segundos a cada tasa (20; rápido 2)")
    p.add_argument("--reportes-por-convenio", type=int, default=3,
                   help="en latencia, reportes con que se cumple un convenio chico (3)")
    p.add_argument("--otorgamientos", type=float, default=2.0,
                   help="en latencia, convenios chicos que se cumplen por segundo de ventana (2)")
    p.add_argument("--reposo", type=float, help="segundos de CPU en reposo medidos en recursos (10; rápido 3)")
    p.add_argument("--eventos-reconstruccion", type=int,
                   help="eventos en los tópicos para reconstruir (1000000; rápido 5000)")
    p.add_argument("--reportes-un-convenio", type=int, help="reportes a un solo convenio (100000; rápido 1000)")
    p.add_argument("--plazo", type=float,
                   help="lo más que se espera a que algo termine, en segundos (600; rápido 120)")
    p.add_argument("--json", action="store_true", help="imprimir un JSON con todas las cifras en vez de tablas")
    p.add_argument("--mundo", choices=("propio", "compartido"), default="propio",
                   help="propio: Kafka, PostgreSQL y buzón nuevos para esta corrida, en otra carpeta y otros puertos "
                        "(ALVA_BENCH_PUERTO_BASE, 38000: Kafka +92, controlador +93, PostgreSQL +432, SMTP +25), "
                        "borrados al terminar; compartido: el entorno embebido de siempre o el que nombre el entorno "
                        "(la fase reconstruccion reemplaza entonces sus esquemas, dejando respaldo)")
    p.add_argument("--conservar-mundo", action="store_true", help="no borrar el mundo propio al terminar")
    a = p.parse_args(argv)
    for clave, valor in (RAPIDO if a.rapido else NORMAL).items():
        if getattr(a, clave) is None:
            setattr(a, clave, valor)
    a.fases = [f.strip() for f in a.fases.split(",") if f.strip()]
    if desconocidas := [f for f in a.fases if f not in FASES]:
        p.error(f"fase(s) desconocida(s): {', '.join(desconocidas)}; elija de {', '.join(FASES)}")
    a.tasas = [float(t) for t in str(a.tasas).split(",")]
    a.instancias = [int(n) for n in str(a.instancias).split(",")]
    return a


async def principal(a: argparse.Namespace, corrida: str, carpeta: Path) -> int:
    inicio, momento = time.monotonic(), datetime.now().astimezone()
    with contextlib.redirect_stdout(sys.stderr if a.json else sys.stdout):  # con --json, stdout es sólo el JSON
        preparar_infraestructura()
    descripcion = await maquina.describir()
    banco = Banco(a, corrida, await Sonda.abrir(), carpeta / "bitacoras",
                  [f"rend-{i}" for i in range(a.instituciones)])
    resultados: dict[str, dict] = {}
    try:
        await banco.alta([OTORGANTE, *banco.instituciones])
        if not a.json:
            print(maquina.resumir(descripcion), flush=True)
        for fase in a.fases:
            avisar(f"fase {fase}")
            t = time.monotonic()
            try:
                resultados[fase] = await FASES[fase].medir(banco)
            except Exception as e:  # noqa: BLE001 - una fase que falla no impide medir las demás
                traceback.print_exc(file=sys.stderr)
                resultados[fase] = {"error": f"{type(e).__name__}: {e}"}
            resultados[fase]["fase_s"] = round(time.monotonic() - t, 1)
            if not a.json:
                print("\n" + _imprimir(fase, resultados), flush=True)
    finally:
        await banco.sonda.cerrar()
    informe = {"inicio": momento.isoformat(timespec="seconds"), "duracion_s": round(time.monotonic() - inicio, 1),
               "corrida": corrida, "maquina": descripcion, "opciones": vars(a), "fases": resultados,
               "usos": banco.usos}
    archivo = _guardar(informe, momento, carpeta.parent)
    if a.json:
        print(json.dumps(informe, ensure_ascii=False, indent=2, default=str))
    else:
        if resumen := recursos.resumen(banco.usos, resultados):
            print("\n" + resumen)
        print(f"\n({informe['duracion_s']:.0f} s; todas las cifras en {archivo})")
    return 1 if any("error" in r for r in resultados.values()) else 0


def _imprimir(fase: str, resultados: dict) -> str:
    r = resultados[fase]
    if "error" in r:
        return f"Fase {fase}: falló ({r['error']})"
    return FASES[fase].imprimir(r, resultados)


def _guardar(informe: dict, momento: datetime, carpeta: Path) -> Path:
    carpeta.mkdir(parents=True, exist_ok=True)
    archivo = carpeta / f"rendimiento-{momento:%Y%m%d-%H%M%S}.json"
    archivo.write_text(json.dumps(informe, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return archivo


def main() -> None:
    a, corrida = opciones(), uuid.uuid4().hex[:6]
    carpeta = infra.carpeta_datos() / "rendimiento" / corrida
    if a.mundo == "propio":
        base = int(os.environ.get("ALVA_BENCH_PUERTO_BASE") or 38000)
        avisar(f"mundo propio en {carpeta / 'mundo'} (Kafka en {base + 92}, PostgreSQL en {base + 432})")
        contexto = mundo_propio(carpeta / "mundo", base, conservar=a.conservar_mundo)
    else:
        contexto = contextlib.nullcontext()
    with contexto:
        codigo = asyncio.run(principal(a, corrida, carpeta))
    raise SystemExit(codigo)


if __name__ == "__main__":
    main()
