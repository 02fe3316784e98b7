"""Un programa en palabras, desde sus reglas: lo que nombra el `achievement.id` de cada credencial."""

from servicios.distintivos.reglas import Reglas


def requisitos(nodo: dict) -> list[str]:
    """Los requisitos de las reglas, uno por renglón, como los lee una persona."""
    if "todos" in nodo:
        return [r for n in nodo["todos"] for r in requisitos(n)]
    if "alguno" in nodo:
        opciones = "; ".join(r for n in nodo["alguno"] for r in requisitos(n))
        return [f"Al menos {nodo.get('minimo', 1)} de: {opciones}"]
    if "objetivos" in nodo:
        ventana = " dentro de la vigencia del convenio" if nodo.get("ventana") == "vigencia" else ""
        return [f"Todos los objetivos del convenio cumplidos{ventana}"]
    return [nodo.get("nombre") or "Un requisito sobre las sesiones de capacitación"]


def en_palabras(reglas: Reglas) -> dict:
    return {"programa": reglas.programa, "nombre": reglas.nombre, "version": reglas.version,
            "otorgante": reglas.otorgante, "otorgante_nombre": reglas.otorgante_nombre,
            "vigencia_meses": reglas.vigencia_meses, "requisitos": requisitos(reglas.requisito),
            "revoca_si_revierte": reglas.revocar_si_objetivo_revertido}
