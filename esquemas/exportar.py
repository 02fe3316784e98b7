"""Exporta los esquemas JSON de cada evento a `esquemas/json/`, para validar en cualquier lenguaje."""

import json
import sys
from pathlib import Path

from esquemas.catalogo import TIPOS, Tipo
from esquemas.ejemplos import ejemplos
from esquemas.sobre import CloudEvent

CARPETA = Path(__file__).parent / "json"
CARPETA_EJEMPLOS = Path(__file__).parent / "ejemplos"


def esquemas_json() -> dict[str, dict]:
    """Nombre de archivo → esquema JSON (Draft 2020-12): el sobre, los datos de cada tipo y, de cada reporte, el
    mensaje completo (`<type>.cloudevent.json`), para validar con un solo esquema lo que se va a enviar."""
    salida = {"cloudevent.json": _con_cabecera(CloudEvent.model_json_schema(), "urn:mx.alva:esquema:cloudevent")}
    for tipo in TIPOS.values():
        salida[f"{tipo.nombre}.json"] = _con_cabecera(_datos(tipo), tipo.dataschema)
        if tipo.es_reporte:
            salida[f"{tipo.nombre}.cloudevent.json"] = _con_cabecera(
                _reporte(tipo), f"urn:mx.alva:esquema:cloudevent:{tipo.nombre}")
    return salida


def _datos(tipo: Tipo) -> dict:
    esquema = tipo.modelo.model_json_schema()
    esquema["description"] = (tipo.modelo.__doc__ or "").strip()
    return esquema


def _reporte(tipo: Tipo) -> dict:
    """El sobre con su `type` fijo y su `data` validada por el esquema de ese tipo."""
    esquema, datos = CloudEvent.model_json_schema(), _datos(tipo)
    esquema["$defs"] = {**esquema.get("$defs", {}), **datos.pop("$defs", {})}  # las $ref de `data` son "#/$defs/…"
    esquema["title"] = f"Reporte {tipo.nombre}"
    esquema["description"] = f"Un reporte {tipo.nombre} completo, como se envía a alva.ingreso.<institucion>: " \
                             f"{datos['description']}"
    esquema["properties"] |= {"type": {"const": tipo.nombre, "title": "Type"}, "data": datos}
    return esquema


def _con_cabecera(esquema: dict, id_: str) -> dict:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": id_, **esquema}


def texto(esquema: dict) -> str:
    return json.dumps(esquema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def ejemplos_json() -> dict[str, dict]:
    """Nombre de archivo → un reporte de ejemplo completo (CloudEvent)."""
    return {f"{tipo}.json": e.model_dump(mode="json", exclude_none=True) for tipo, e in ejemplos().items()}


def escribir(carpeta: Path, archivos: dict[str, dict]) -> None:
    carpeta.mkdir(exist_ok=True)
    for viejo in carpeta.glob("*.json"):
        if viejo.name not in archivos:
            viejo.unlink()
    for nombre, contenido in archivos.items():
        (carpeta / nombre).write_text(texto(contenido), encoding="utf-8")
    print(f"{len(archivos)} archivos en {carpeta}", file=sys.stderr)


def main() -> int:
    escribir(CARPETA, esquemas_json())
    escribir(CARPETA_EJEMPLOS, ejemplos_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
