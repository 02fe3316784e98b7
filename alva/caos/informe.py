"""El veredicto en pantalla (las filas que fallan, resaltadas) y en un archivo JSON con las mismas cifras."""

import json
import sys
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from alva.caos.fallas import Falla
from alva.caos.procesos import Caida

consola = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
MAL = "bold red"


def _marca(ok: bool) -> str:
    return "✔" if ok else "✘"


def imprimir(juicio: dict, fallas: list[Falla], caidas: list[Caida]) -> None:
    tabla = Table(title="Veredicto", title_justify="left", show_lines=False)
    for columna in ("", "comprobación", "valor", "detalle"):
        tabla.add_column(columna, overflow="fold")
    for f in juicio["filas"]:
        tabla.add_row(_marca(f.ok), f.nombre, f.valor, f.detalle, style=None if f.ok else MAL)
    consola.print(tabla)

    hostiles = Table(title="Entradas hostiles (se espera exactamente un rechazo cada una)", title_justify="left")
    for columna in ("", "entrada", "dónde", "rechazos", "código(s)", "hechos que causó", "nota"):
        hostiles.add_column(columna, overflow="fold")
    for h in juicio["hostiles"]:
        donde = f"{h['topico']}[{h['particion']}]@{h['offset']}" if h.get("offset") is not None else "—"
        hostiles.add_row(_marca(h["ok"]), h["nombre"], donde, str(h["rechazos"]), ", ".join(h["codigos"]) or "—",
                         str(h["efectos"] or ""), h.get("nota", ""), style=None if h["ok"] else MAL)
    consola.print(hostiles)

    tabla_fallas = Table(title="Fallas provocadas y recuperación (segundos desde la falla)", title_justify="left")
    for columna in ("momento", "falla", "revivido a los", "listo", "avanza de nuevo", "nota"):
        tabla_fallas.add_column(columna, overflow="fold")
    for f in fallas:
        tabla_fallas.add_row(f"{f.ocurrio_s if f.ocurrio_s is not None else f.momento_s:.1f}",
                             f"{f.tipo} {f.objetivo}" if f.tipo == "servicio" else f.tipo, f"{f.pausa_s:.1f}",
                             _segundos(f.listo_s), _segundos(f.progreso_s), f.nota,
                             style="yellow" if f.nota else None)
    consola.print(tabla_fallas)
    for c in caidas:
        consola.print(f"[yellow]! {c.servicio} terminó solo a los {c.momento_s:.1f} s (código {c.codigo}); "
                      "la prueba lo revivió[/]")
    if juicio["rechazos_por_tecnico"]:
        consola.print("Correos de rechazo por contacto técnico: " + ", ".join(
            f"{d}: {n}" for d, n in sorted(juicio["rechazos_por_tecnico"].items())))


def _segundos(valor: float | None) -> str:
    return "—" if valor is None else f"{valor:.1f}"


def guardar(ruta: Path, encabezado: dict, juicio: dict, fallas: list[Falla], caidas: list[Caida]) -> None:
    ruta.parent.mkdir(parents=True, exist_ok=True)
    datos = {**encabezado, "ok": juicio["ok"], "comprobaciones": [asdict(f) for f in juicio["filas"]],
             "hostiles": juicio["hostiles"], "rechazos_por_tecnico": juicio["rechazos_por_tecnico"],
             "fallas": [asdict(f) for f in fallas], "caidas_no_provocadas": [asdict(c) for c in caidas]}
    ruta.write_text(json.dumps(datos, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
