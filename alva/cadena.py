"""La cadena de un evento: lo que lo causó desde el primer reporte y todo lo que causó, como árbol."""

from collections import defaultdict
from dataclasses import dataclass, field

from esquemas import CloudEvent

MUCHOS = 3  # más hijos de un mismo tipo que esto (p. ej. constancias) se resumen en una línea
Visto = tuple[str, int, int, CloudEvent]  # (tópico, partición, offset, evento)


@dataclass(frozen=True)
class Resumen:
    """Los hijos de un tipo que no se muestran: `cuantos` más de `tipo`."""

    tipo: str
    cuantos: int


@dataclass
class Nodo:
    topico: str
    evento: CloudEvent
    en_linaje: bool  # en el camino de la raíz al evento pedido
    elegido: bool  # el evento pedido
    hijos: list["Nodo | Resumen"] = field(default_factory=list)  # por tipo, en orden de tiempo


@dataclass
class Cadena:
    raiz: Nodo
    vistos: list[Visto]  # de la raíz hacia abajo, todos (también los resumidos)


def armar(eventos: list[Visto], evento_id: str, muchos: int = MUCHOS) -> Cadena | None:
    """La cadena de `evento_id` entre `eventos`; None si no está entre ellos."""
    por_id = {str(v[3].id): v for v in eventos}
    if evento_id not in por_id:
        return None
    hijos: dict[str, list[str]] = defaultdict(list)
    for v in sorted(eventos, key=lambda x: x[3].time):
        if v[3].causationid:
            hijos[v[3].causationid].append(str(v[3].id))
    linaje = [evento_id]  # de la raíz al evento pedido
    while (causa := por_id[linaje[0]][3].causationid) in por_id and causa not in linaje:
        linaje.insert(0, causa)
    raiz = _nodo(linaje[0], por_id, hijos, set(linaje), evento_id, muchos)
    return Cadena(raiz, [por_id[i] for i in [linaje[0], *_descendientes(linaje[0], hijos)]])


def _descendientes(i: str, hijos) -> list[str]:
    salida = []
    for h in hijos.get(i, []):
        salida += [h, *_descendientes(h, hijos)]
    return salida


def _nodo(i: str, por_id, hijos, linaje: set[str], evento_id: str, muchos: int) -> Nodo:
    topico, _, _, evento = por_id[i]
    nodo = Nodo(topico, evento, i in linaje, i == evento_id)
    por_tipo: dict[str, list[str]] = defaultdict(list)
    for h in hijos.get(i, []):
        por_tipo[por_id[h][3].type].append(h)
    for tipo, ids in por_tipo.items():
        # Los primeros, y siempre el que lleva al evento pedido.
        mostrar = ids if len(ids) <= muchos else list(dict.fromkeys(ids[:muchos - 1] + [h for h in ids if h in linaje]))
        nodo.hijos += [_nodo(h, por_id, hijos, linaje, evento_id, muchos) for h in mostrar]
        if resto := len(ids) - len(mostrar):
            nodo.hijos.append(Resumen(tipo, resto))
    return nodo
