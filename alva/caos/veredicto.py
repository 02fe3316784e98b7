"""El veredicto, sin E/S: de lo enviado y lo observado, qué se perdió, qué se duplicó y qué entrada hostil no tuvo
exactamente un rechazo."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

SESION_COMPLETADA = "mx.alva.capacitacion.sesion.completada.v1"
DISTINTIVO_OTORGADO = "mx.alva.distintivos.distintivo.otorgado.v1"


@dataclass(frozen=True)
class Hecho:
    topico: str
    id: str
    tipo: str
    causa: str | None
    subject: str | None
    institucion: str
    detalle: str = ""  # objetivo_id, notificacion_id…: lo que separa dos hechos legítimos de igual causa y tipo
    convenio_id: str | None = None


@dataclass(frozen=True)
class RechazoVisto:
    id: str
    topico: str
    particion: int
    offset: int
    entrada_id: str | None
    codigo: str
    servicio: str = ""


@dataclass(frozen=True)
class Correo:
    evento: str
    destinatario: str
    aviso: str
    message_id: str
    archivo: str = ""


@dataclass
class Observado:
    enviados: dict[str, str]  # id de cada reporte válido confirmado por Kafka → su convenio
    hechos: list[Hecho]
    rechazos: list[RechazoVisto]
    hostiles: list[dict]  # Enviado (como dict) + "codigo_esperado"
    personas_bd: dict[str, float]
    personas_esperadas: dict[str, int]  # convenio → personas distintas enviadas
    cumplibles: set[str]  # convenios cuyos objetivos se cumplen con lo enviado
    sin_cumplir: set[str]  # convenios que nunca cumplen: un distintivo ahí es falso
    enlaces: dict[str, str]  # convenio → correo del enlace (recibe el aviso del distintivo)
    correos: list[Correo] | None  # None: sin buzón local que leer
    no_enviados: list[str] = field(default_factory=list)
    quietudes: list[dict] = field(default_factory=list)  # {"fase", "quieto", "segundos", "atascos"}
    reconstrucciones: list[dict] = field(default_factory=list)  # {"servicio", "eventos", "segundos", "diferentes"}
    republicados: int | None = None  # mensajes nuevos en los tópicos tras reconstruir y arrancar otra vez
    fallas: list[dict] = field(default_factory=list)  # {"tipo", "objetivo", "provocada", "recuperada", "nota"}


@dataclass
class Fila:
    seccion: str  # perdida, duplicado, hostil, atasco, reconstruccion, prueba, info
    nombre: str
    valor: str
    ok: bool
    detalle: str = ""


def _ejemplos(cosas, n: int = 5) -> str:
    cosas = list(cosas)
    return ", ".join(map(str, cosas[:n])) + (f" … y {len(cosas) - n} más" if len(cosas) > n else "")


def reportes(o: Observado) -> list[Fila]:
    registrados = {h.causa for h in o.hechos if h.tipo == SESION_COMPLETADA}
    perdidos = [i for i in o.enviados if i not in registrados]
    de_hostiles = {(h["topico"], h.get("particion"), h.get("offset")) for h in o.hostiles}
    rechazados = sorted({r.entrada_id for r in o.rechazos
                         if r.entrada_id in o.enviados and (r.topico, r.particion, r.offset) not in de_hostiles})
    filas = [Fila("info", "reportes válidos enviados", str(len(o.enviados)), True),
             Fila("info", "registrados (sesion.completada)", str(len(o.enviados) - len(perdidos)), True),
             Fila("perdida", "reportes perdidos", str(len(perdidos)), not perdidos, _ejemplos(perdidos)),
             Fila("perdida", "reportes válidos rechazados", str(len(rechazados)), not rechazados, _ejemplos(rechazados))]
    if o.no_enviados:
        filas.append(Fila("prueba", "reportes que la prueba no logró enviar", str(len(o.no_enviados)), False,
                          _ejemplos(o.no_enviados)))
    return filas


def hechos_duplicados(o: Observado) -> list[Fila]:
    """Más de un id distinto para la misma causa, tipo, subject y detalle: el mismo hecho contado dos veces."""
    ids = defaultdict(set)
    for h in o.hechos:
        if h.causa is not None:
            ids[(h.causa, h.tipo, h.subject, h.detalle)].add(h.id)
    por_tipo = Counter(clave[1].rsplit(".", 2)[0].removeprefix("mx.alva.") for clave, v in ids.items() if len(v) > 1)
    copias = sum(n - 1 for n in Counter(h.id for h in o.hechos).values() if n > 1)
    return [Fila("duplicado", "hechos duplicados (id distinto, misma causa)", str(sum(por_tipo.values())),
                 not por_tipo, ", ".join(f"{t}: {n}" for t, n in sorted(por_tipo.items()))),
            Fila("info", "copias republicadas (mismo id)", str(copias), True,
                 "inofensivas: los consumidores las descartan por id")]


def personas(o: Observado) -> list[Fila]:
    de_mas = {c: (o.personas_bd.get(c), n) for c, n in o.personas_esperadas.items() if (o.personas_bd.get(c) or 0) > n}
    de_menos = {c: (o.personas_bd.get(c), n) for c, n in o.personas_esperadas.items() if (o.personas_bd.get(c) or 0) < n}
    mostrar = lambda d: _ejemplos(f"{c}: {bd} en la base, {n} enviadas" for c, (bd, n) in d.items())  # noqa: E731
    return [Fila("duplicado", "convenios con personas contadas de más", str(len(de_mas)), not de_mas, mostrar(de_mas)),
            Fila("perdida", "convenios con personas de menos", str(len(de_menos)), not de_menos, mostrar(de_menos))]


def distintivos(o: Observado) -> tuple[list[Fila], dict[str, set[str]]]:
    por_convenio = defaultdict(set)
    for h in o.hechos:
        if h.tipo == DISTINTIVO_OTORGADO:
            por_convenio[h.convenio_id].add(h.id)
    faltan = sorted(c for c in o.cumplibles if not por_convenio.get(c))
    dobles = sorted(c for c in o.cumplibles | o.sin_cumplir if len(por_convenio.get(c, ())) > 1)
    falsos = sorted(c for c in o.sin_cumplir if por_convenio.get(c))
    filas = [Fila("info", "distintivos otorgados", f"{sum(len(por_convenio.get(c, ())) for c in o.cumplibles)} "
                  f"de {len(o.cumplibles)} convenios que cumplen", True),
             Fila("perdida", "convenios que cumplen sin distintivo", str(len(faltan)), not faltan, _ejemplos(faltan)),
             Fila("duplicado", "convenios con más de un distintivo", str(len(dobles)), not dobles, _ejemplos(dobles)),
             Fila("hostil", "distintivos sin objetivos cumplidos", str(len(falsos)), not falsos, _ejemplos(falsos))]
    return filas, por_convenio


def correos(o: Observado, otorgados: dict[str, set[str]]) -> tuple[list[Fila], dict[str, int]]:
    if o.correos is None:
        return [Fila("info", "correos", "sin buzón local: no se revisan", True)], {}
    veces = Counter((c.evento, c.destinatario) for c in o.correos)
    dobles = {k: n for k, n in veces.items() if n > 1}
    mismos = sum(1 for k in dobles if len({c.message_id for c in o.correos if (c.evento, c.destinatario) == k}) == 1)
    recibidos = {(c.evento, c.destinatario) for c in o.correos}
    sin_correo = [c for c, ids in otorgados.items() if c in o.enlaces for i in ids if (i, o.enlaces[c]) not in recibidos]
    rechazos = Counter(c.destinatario for c in o.correos if c.aviso == "rechazo")
    return [Fila("info", "correos recibidos", str(len(o.correos)), True),
            Fila("duplicado", "correos repetidos (mismo evento y destinatario)", str(len(dobles)), not dobles,
                 f"{mismos} con el mismo Message-ID" if dobles else ""),
            Fila("perdida", "distintivos sin su correo al enlace", str(len(sin_correo)), not sin_correo,
                 _ejemplos(sin_correo))], dict(rechazos)


def hostiles(o: Observado) -> list[dict]:
    """Por entrada: sus rechazos (por tópico/partición/offset), los códigos, y los hechos que causó.

    Bien sólo con exactamente un rechazo y ningún hecho: una entrada rechazada que otro servicio procesa igual
    tampoco está bien."""
    por_posicion = defaultdict(set)
    codigos = defaultdict(list)
    for r in o.rechazos:
        if r.id not in por_posicion[(r.topico, r.particion, r.offset)]:
            por_posicion[(r.topico, r.particion, r.offset)].add(r.id)
            codigos[(r.topico, r.particion, r.offset)].append(f"{r.codigo} ({r.servicio})" if r.servicio else r.codigo)
    filas = []
    for h in o.hostiles:
        posicion = (h["topico"], h.get("particion"), h.get("offset"))
        fila = {**h, "rechazos": len(por_posicion.get(posicion, ())), "codigos": codigos.get(posicion, []),
                "efectos": len(_efectos(o, h.get("entrada_id"), h.get("sesion_id")))}
        if h.get("negado_por_broker"):
            fila["ok"], fila["nota"] = fila["rechazos"] == 0, f"el broker no lo aceptó ({h['negado_por_broker']})"
        elif h.get("offset") is None:
            fila["ok"], fila["nota"] = False, h.get("error") or "no se envió"
        else:
            fila["ok"] = fila["rechazos"] == 1 and fila["efectos"] == 0
            esperado = h.get("codigo_esperado")
            otro = esperado and fila["codigos"] and not fila["codigos"][0].startswith(esperado)
            notas = [f"se esperaba {esperado}" if otro else "",
                     f"además se procesó: {fila['efectos']} hecho(s)" if fila["efectos"] else ""]
            fila["nota"] = "; ".join(n for n in notas if n)
        filas.append(fila)
    return filas


def _efectos(o: Observado, entrada_id: str | None, sesion_id: str | None) -> set[str]:
    """Los hechos que una entrada hostil produjo: causados por su id (si no es el de un reporte válido) o, si no
    tenía id legible, la sesión que registró con su `sesion_id`."""
    por_id = entrada_id is not None and entrada_id not in o.enviados
    return {h.id for h in o.hechos if (por_id and h.causa == entrada_id)
            or (sesion_id and h.tipo == SESION_COMPLETADA and h.subject == sesion_id)}


def reconstruccion(o: Observado) -> list[Fila]:
    filas = []
    for r in o.reconstrucciones:
        filas.append(Fila("reconstruccion", f"{r['servicio']} reconstruido desde los tópicos",
                          f"{r['eventos']} entradas, {r['segundos']:g} s", not r["diferentes"],
                          "tablas distintas: " + _ejemplos(f"{t} ({n} filas)" for t, n in r["diferentes"].items())
                          if r["diferentes"] else f"{r['tablas']} tablas iguales"))
    if o.republicados is not None:
        filas.append(Fila("reconstruccion", "publicado otra vez al arrancar tras reconstruir", str(o.republicados),
                          o.republicados == 0))
    return filas


def fallas(o: Observado) -> list[Fila]:
    """Una falla que no se pudo provocar deja a la corrida sin probar lo que dice; una que no se recupera, atascada."""
    sin_provocar = [f"{f['tipo']} {f['objetivo']}: {f['nota']}" for f in o.fallas if not f["provocada"]]
    sin_recuperar = [f"{f['tipo']} {f['objetivo']}" for f in o.fallas if f["provocada"] and not f["recuperada"]]
    return [Fila("prueba", "fallas provocadas", f"{len(o.fallas) - len(sin_provocar)} de {len(o.fallas)}",
                 not sin_provocar, _ejemplos(sin_provocar)),
            Fila("atasco", "fallas sin recuperarse", str(len(sin_recuperar)), not sin_recuperar,
                 _ejemplos(sin_recuperar))]


def juzgar(o: Observado) -> dict:
    filas = reportes(o) + hechos_duplicados(o) + personas(o)
    filas_distintivos, otorgados = distintivos(o)
    filas_correos, rechazos_por_tecnico = correos(o, otorgados)
    filas += filas_distintivos + filas_correos
    por_entrada = hostiles(o)
    malas = [h["nombre"] for h in por_entrada if not h["ok"]]
    filas.append(Fila("hostil", "entradas hostiles sin exactamente un rechazo", f"{len(malas)} de {len(por_entrada)}",
                      not malas, _ejemplos(malas, 30)))
    filas += fallas(o) + reconstruccion(o)
    for q in o.quietudes:
        filas.append(Fila("atasco", f"quietud ({q['fase']})", f"{q['segundos']:g} s" if q["quieto"] else "atascado",
                          q["quieto"], _ejemplos(q.get("atascos", []), 8)))
    return {"ok": all(f.ok for f in filas), "filas": filas, "hostiles": por_entrada,
            "rechazos_por_tecnico": rechazos_por_tecnico}
