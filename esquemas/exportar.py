"""Exporta los esquemas JSON de cada evento a `esquemas/json/`, para validar en cualquier lenguaje."""

import json
import sys
from pathlib import Path

from esquemas.catalogo import TIPOS
from esquemas.sobre import CloudEvent

CARPETA = Path(__file__).parent / "json"


def esquemas_json() -> dict[str, dict]:
    """Nombre de archivo → esquema JSON (Draft 2020-12)."""
    salida = {"cloudevent.json": _con_cabecera(CloudEvent.model_json_schema(), "urn:mx.alva:esquema:cloudevent")}
    for tipo in TIPOS.values():
        esquema = tipo.modelo.model_json_schema()
        esquema["description"] = (tipo.modelo.__doc__ or "").strip()
        salida[f"{tipo.nombre}.json"] = _con_cabecera(esquema, tipo.dataschema)
    return salida


def _con_cabecera(esquema: dict, id_: str) -> dict:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": id_, **esquema}


def texto(esquema: dict) -> str:
    return json.dumps(esquema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> int:
    CARPETA.mkdir(exist_ok=True)
    nuevos = esquemas_json()
    for viejo in CARPETA.glob("*.json"):
        if viejo.name not in nuevos:
            viejo.unlink()
    for nombre, esquema in nuevos.items():
        (CARPETA / nombre).write_text(texto(esquema), encoding="utf-8")
    print(f"{len(nuevos)} esquemas en {CARPETA}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
