"""`python -m alva.caos`: la prueba de fallas contra el entorno embebido (lo arranca si hace falta, como `make demo`)."""

import argparse
import asyncio
import contextlib
import logging
import os
import random
import secrets
import sys

from alva.caos.corrida import Opciones, correr, falla_posible
from alva.demo import preparar_infraestructura
from alva.mundo import propio as mundo_propio
from infra import entorno as infra

CORTO = {"instituciones": 4, "reportes": 600, "ritmo": 20.0, "muertes": 4, "falla_broker": False,
         "falla_postgres": False, "plazo": 180.0, "plazo_final": 30.0}
COMPLETO = {"instituciones": 20, "reportes": 10_000, "ritmo": 50.0, "muertes": 20, "falla_broker": True,
            "falla_postgres": True, "plazo": 600.0, "plazo_final": 60.0}

DESCRIPCION = """\
Prueba de fallas de ALVA sobre la plataforma real: da de alta instituciones con un convenio cada una, envía
reportes de sesión a ritmo parejo (con reenvíos legítimos), mata servicios, el broker y PostgreSQL en momentos al
azar, envía un catálogo de entradas hostiles, espera a que todo se asiente y juzga: nada perdido, nada duplicado,
exactamente un rechazo por entrada hostil, nada atascado. Sale con 0 sólo si todo eso se cumple.
"""


def argumentos(argv: list[str] | None) -> tuple[Opciones, str, bool]:
    p = argparse.ArgumentParser(prog="python -m alva.caos", description=DESCRIPCION)
    p.add_argument("--corto", action="store_true",
                   help="modo CI (~2 min): 4 instituciones, 600 reportes, 4 muertes de servicio, sin fallas de "
                        "broker ni de PostgreSQL, todo el catálogo hostil")
    p.add_argument("--instituciones", type=int, help="instituciones con un convenio cada una (20; corto: 4)")
    p.add_argument("--reportes", type=int, help="reportes de sesión válidos (10000; corto: 600)")
    p.add_argument("--ritmo", type=float, help="reportes por segundo (50; corto: 20)")
    p.add_argument("--reenvios", type=int, help="reenvíos legítimos del mismo reporte (2 %% de --reportes)")
    p.add_argument("--muertes", type=int, help="SIGKILL a servicios, repartidos entre los cuatro (20; corto: 4)")
    p.add_argument("--falla-broker", action=argparse.BooleanOptionalAction, default=None,
                   help="un SIGKILL al broker y su rearranque (sí; corto: no)")
    p.add_argument("--falla-postgres", action=argparse.BooleanOptionalAction, default=None,
                   help="un `pg_ctl stop -m immediate` y su rearranque (sí; corto: no)")
    p.add_argument("--semilla", type=int, help="fija los momentos de las fallas y los asistentes (al azar si no)")
    p.add_argument("--plazo", type=float, help="segundos para que todo se asiente tras la carga (600; corto: 180)")
    p.add_argument("--plazo-final", type=float,
                   help="segundos para asentarse tras las entradas que se envían al final (60; corto: 30)")
    p.add_argument("--pendientes-plazo", type=float, default=20.0,
                   help="ALVA_PENDIENTES_PLAZO_S de los servicios: cuánto espera un reporte a su convenio (20)")
    p.add_argument("--puerto-base", type=int, default=48081,
                   help="puertos de operación de los servicios: éste y los tres siguientes (48081)")
    p.add_argument("--reconstruir", action=argparse.BooleanOptionalAction, default=True,
                   help="al final, detener los servicios, reconstruir cada uno desde los tópicos (alva reconstruir), "
                        "exigir tablas iguales y que nada se publique otra vez al arrancarlos (sí)")
    p.add_argument("--mundo", choices=("propio", "compartido"), default="propio",
                   help="propio: Kafka, PostgreSQL y buzón nuevos para esta corrida, en otra carpeta y otros puertos "
                        "(ALVA_CAOS_PUERTO_BASE, 39000: Kafka +92, controlador +93, PostgreSQL +432, SMTP +25), "
                        "borrados al terminar; compartido: el entorno embebido de siempre (o el que nombre el "
                        "entorno), sin reconstrucción: su historia incluye la de otras corridas y pruebas")
    p.add_argument("--conservar-mundo", action="store_true",
                   help="no borrar los datos del mundo propio al terminar (para revisarlos)")
    p.add_argument("--conservar-hostil", action="store_true",
                   help="no borrar al final el tópico de la institución hostil (su entrada venenosa, si la hay, "
                        "trabaría a los servicios en la siguiente corrida sobre los mismos datos)")
    a = p.parse_args(argv)
    base = CORTO if a.corto else COMPLETO
    valor = lambda nombre: base[nombre] if getattr(a, nombre) is None else getattr(a, nombre)  # noqa: E731
    reportes = valor("reportes")
    if reportes < valor("instituciones"):
        p.error("--reportes debe ser al menos --instituciones (cada convenio necesita sesiones para cumplir)")
    return Opciones(
        instituciones=valor("instituciones"), reportes=reportes, ritmo=valor("ritmo"),
        reenvios=a.reenvios if a.reenvios is not None else reportes // 50, muertes=valor("muertes"),
        falla_broker=valor("falla_broker") and falla_posible("KAFKA_BOOTSTRAP_SERVERS"),
        falla_postgres=valor("falla_postgres") and falla_posible("ALVA_POSTGRES_DSN"),
        semilla=a.semilla if a.semilla is not None else random.randrange(1_000_000),
        plazo=valor("plazo"), plazo_final=valor("plazo_final"), pendientes_plazo=a.pendientes_plazo,
        puerto_base=a.puerto_base, conservar_hostil=a.conservar_hostil,
        reconstruir=a.reconstruir and a.mundo == "propio"), a.mundo, a.conservar_mundo


def main(argv: list[str] | None = None) -> None:
    op, mundo, conservar_mundo = argumentos(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # durante las fallas se queja de lo esperado
    corrida = secrets.token_hex(3)
    carpeta = infra.carpeta_datos() / "caos" / corrida
    print(f"prueba de fallas, corrida {corrida}, semilla {op.semilla}")
    if mundo == "propio":
        base = int(os.environ.get("ALVA_CAOS_PUERTO_BASE") or 39000)
        contexto = mundo_propio(carpeta / "mundo", base, conservar=conservar_mundo)
        print(f"mundo propio en {carpeta / 'mundo'} (Kafka en {base + 92}, PostgreSQL en {base + 432})")
    else:
        contexto = contextlib.nullcontext()
    with contexto:
        try:
            buzon = preparar_infraestructura()
        except infra.ErrorEntorno as e:
            print(f"No se pudo arrancar la infraestructura: {e}", file=sys.stderr)
            raise SystemExit(2) from None
        codigo = asyncio.run(correr(op, corrida, carpeta, buzon))
    raise SystemExit(codigo)


if __name__ == "__main__":
    main()
