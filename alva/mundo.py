"""Un mundo propio para una medición o una prueba de fallas: Kafka, PostgreSQL y buzón embebidos en otra carpeta y
otros puertos, creados para la corrida y borrados al terminar. Matar su broker no toca el entorno de trabajo, y su
historia es sólo la de la corrida (la que `alva reconstruir` repite)."""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from plataforma.kafka import VARIABLES as VARIABLES_KAFKA

PROPIOS = ("KAFKA_BOOTSTRAP_SERVERS", "ALVA_POSTGRES_DSN", "ALVA_SMTP_HOST", *VARIABLES_KAFKA)


def entrar(carpeta: Path, puerto_base: int) -> dict[str, str]:
    """Apunta este proceso (y sus hijos) al mundo de `carpeta`: Kafka en base+92, su controlador en base+93,
    PostgreSQL en base+432 y SMTP en base+25. Devuelve las variables que había, para `salir`."""
    antes = {v: os.environ.get(v) for v in (*PROPIOS, "ALVA_DATOS", "ALVA_KAFKA_PUERTO",
                                          "ALVA_KAFKA_PUERTO_CONTROLADOR", "ALVA_PG_PUERTO", "ALVA_SMTP_PUERTO")}
    for variable in PROPIOS:
        os.environ.pop(variable, None)
    os.environ.update({"ALVA_DATOS": str(carpeta), "ALVA_KAFKA_PUERTO": str(puerto_base + 92),
                       "ALVA_KAFKA_PUERTO_CONTROLADOR": str(puerto_base + 93),
                       "ALVA_PG_PUERTO": str(puerto_base + 432), "ALVA_SMTP_PUERTO": str(puerto_base + 25)})
    return antes


def salir(carpeta: Path, antes: dict[str, str | None], *, conservar: bool = False) -> None:
    """Detiene lo que corre en el mundo, lo borra (salvo `conservar`) y devuelve el entorno como estaba."""
    from infra import entorno

    entorno.detener(salida=lambda _: None)
    if not conservar:
        shutil.rmtree(carpeta, ignore_errors=True)
    for variable, valor in antes.items():
        if valor is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = valor


@contextmanager
def propio(carpeta: Path, puerto_base: int, *, conservar: bool = False):
    antes = entrar(carpeta, puerto_base)
    try:
        yield carpeta
    finally:
        salir(carpeta, antes, conservar=conservar)
