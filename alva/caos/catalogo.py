"""El catálogo hostil, como datos: cada entrada dice cómo se arman sus bytes y qué se espera (un solo rechazo)."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from alva.escenario import Reporte
from esquemas import CONTENT_TYPE
from esquemas.ingreso import ReporteSesionCompletada, topico_ingreso

LIMITE_BROKER = 1_048_588  # message.max.bytes por omisión de Kafka
CERCA_DEL_LIMITE = 1_000_000
SOBRE_EL_LIMITE = 1_100_000
PROFUNDIDAD = 300
CABECERAS_CE = (("content-type", CONTENT_TYPE.encode()),)


@dataclass(frozen=True)
class Blanco:
    """Contra qué apunta el catálogo: la institución hostil, sus convenios, y un reporte válido ya enviado."""

    institucion: str
    convenio: str
    cancelado: str
    desconocido: str
    ajena: str  # otra institución, cuyo nombre se usa sin ser ella
    original: Reporte  # su id se reusa con otro contenido
    inicio: date
    fin: date


@dataclass(frozen=True)
class Envio:
    quien: str  # la institución cuyo tópico (y principal) lo envía
    topico: str
    valor: bytes
    cabeceras: tuple[tuple[str, bytes], ...] = CABECERAS_CE
    entrada_id: str | None = None
    sesion_id: str | None = None  # para reconocer lo que produjo si se aceptó sin id legible

    @property
    def llave(self) -> bytes:
        return self.quien.encode()


@dataclass(frozen=True)
class Hostil:
    nombre: str
    construir: Callable[[Blanco], Envio]
    codigo: str | None = None  # el código esperado, cuando es seguro
    broker_puede_negarlo: bool = False  # pasa del límite: si Kafka no lo acepta, no hay nada que rechazar
    al_final: bool = False  # puede trabar a un consumidor: se envía cuando la carga ya se asentó


def _base36(n: int) -> str:
    digitos = "0123456789abcdefghijklmnopqrstuvwxyz"
    texto = ""
    while True:
        n, r = divmod(n, 36)
        texto = digitos[r] + texto
        if n == 0:
            return texto


def anidar(niveles: int) -> list:
    """Una lista vacía dentro de otra, `niveles` veces en total."""
    valor: list = []
    for _ in range(niveles - 1):
        valor = [valor]
    return valor


def datos(b: Blanco, nombre: str, **cambios) -> dict:
    """Una sesión válida de la institución hostil, con sus propios asistentes."""
    return {"sesion_id": f"H-{nombre}", "convenio_id": b.convenio, "tema": "Prevención de la violencia",
            "modalidad": "presencial", "fecha": (b.inicio + timedelta(days=1)).isoformat(), "horas": 2,
            "facilitador": "PRODHEG", "asistentes": [f"h-{nombre}-1", f"h-{nombre}-2"], **cambios}


def sobre(b: Blanco, nombre: str, *, quitar: tuple[str, ...] = (), datos_cambios: dict | None = None,
          **cambios) -> dict:
    evento = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": f"/instituciones/{b.institucion}/sistema",
              "type": ReporteSesionCompletada.tipo, "time": datetime.now(UTC).isoformat(),
              "datacontenttype": "application/json", "institucion": b.institucion,
              "data": datos(b, nombre, **(datos_cambios or {})), **cambios}
    return {k: v for k, v in evento.items() if k not in quitar}


def como_json(b: Blanco, evento: dict, *, cabeceras=CABECERAS_CE, quien: str | None = None) -> Envio:
    """JSON con escapes ASCII: un sustituto suelto o un NUL viajan como `\\udc80` o `\\u0000`."""
    quien = quien or b.institucion
    datos_ = evento.get("data") if isinstance(evento.get("data"), dict) else {}
    return Envio(quien, topico_ingreso(quien), json.dumps(evento).encode(), cabeceras, evento.get("id"),
                 datos_.get("sesion_id"))


def crudo(valor: bytes) -> Callable[[Blanco], Envio]:
    return lambda b: Envio(b.institucion, topico_ingreso(b.institucion), valor)


def de_sobre(nombre: str, **opciones) -> Callable[[Blanco], Envio]:
    return lambda b: como_json(b, sobre(b, nombre, **opciones))


def de_datos(nombre: str, **cambios) -> Callable[[Blanco], Envio]:
    return lambda b: como_json(b, sobre(b, nombre, datos_cambios=cambios))


def del_tamano(nombre: str, tamano: int) -> Callable[[Blanco], Envio]:
    """Un reporte de exactamente `tamano` bytes: el relleno va en `facilitador` (ASCII, un byte por carácter)."""
    def construir(b: Blanco) -> Envio:
        evento = sobre(b, nombre)
        base = len(json.dumps(evento).encode()) - len(evento["data"]["facilitador"])
        evento["data"]["facilitador"] = "x" * (tamano - base)
        return como_json(b, evento)
    return construir


def canonico(nombre: str, tipo: str, datos_de: Callable[[Blanco], dict]) -> Callable[[Blanco], Envio]:
    return lambda b: como_json(b, sobre(b, nombre, type=tipo, data=datos_de(b)))


def reusar_id(b: Blanco) -> Envio:
    """El id de un reporte válido ya enviado, en su mismo tópico, con otra sesión y otras personas."""
    original = json.loads(b.original.evento.a_json())
    original["data"] = {**original["data"], "sesion_id": "H-id-reusado", "asistentes": ["h-id-reusado-1"]}
    return como_json(b, original, quien=original["institucion"])


def _objetivo_cumplido(objetivo_id: str, indicador: str) -> Callable[[Blanco], dict]:
    """Un `objetivo.cumplido` falso del convenio hostil: con los dos, un evaluador crédulo otorgaría el distintivo."""
    return lambda b: {"convenio_id": b.convenio, "objetivo_id": objetivo_id, "indicador": indicador,
                      "valor": 10**6, "meta": 10**6, "fecha": b.inicio.isoformat()}


def _distintivo_otorgado(b: Blanco) -> dict:
    return {"distintivo_id": str(uuid.uuid4()), "programa": "ALVA", "otorgante": "prodheg",
            "institucion": b.institucion, "institucion_nombre": "Hostil", "convenio_id": b.convenio,
            "periodo": f"{b.inicio}/{b.fin}", "fecha": b.inicio.isoformat(),
            "vigencia": {"inicio": b.inicio.isoformat(), "fin": b.fin.isoformat()}, "criterios": ["ninguno"]}


CATALOGO: list[Hostil] = [
    Hostil("utf8_invalido", crudo(b'{"specversion": "1.0", "id": "\xff\xfe\xfd"}'), "texto_invalido"),
    Hostil("no_es_json", crudo(b"esto no es JSON {"), "json_invalido"),
    Hostil("json_no_objeto", crudo(b'["un", "arreglo", 1]'), "sobre_invalido"),
    Hostil("sin_id", de_sobre("sin_id", quitar=("id",)), "sobre_invalido"),
    Hostil("sin_source", de_sobre("sin_source", quitar=("source",)), "sobre_invalido"),
    Hostil("sin_specversion", de_sobre("sin_specversion", quitar=("specversion",)), "sobre_invalido"),
    Hostil("sin_type", de_sobre("sin_type", quitar=("type",)), "sobre_invalido"),
    Hostil("specversion_0_3", de_sobre("specversion_0_3", specversion="0.3"), "sobre_invalido"),
    Hostil("tipo_desconocido", de_sobre("tipo_desconocido", type="mx.alva.ingreso.inventado.v1"), "tipo_desconocido"),
    Hostil("canonico_objetivo_cumplido",
           canonico("canonico_objetivo_cumplido", "mx.alva.convenios.objetivo.cumplido.v1",
                    _objetivo_cumplido("personas", "personas_capacitadas"))),
    Hostil("canonico_objetivo_cumplido_2",
           canonico("canonico_objetivo_cumplido_2", "mx.alva.convenios.objetivo.cumplido.v1",
                    _objetivo_cumplido("sesiones", "sesiones_impartidas"))),
    Hostil("canonico_distintivo_otorgado",
           canonico("canonico_distintivo_otorgado", "mx.alva.distintivos.distintivo.otorgado.v1",
                    _distintivo_otorgado)),
    Hostil("arreglos_anidados_200kb", crudo(b"[" * 100_000 + b"]" * 100_000), al_final=True),
    Hostil("anidado_en_data", de_datos("anidado_en_data", anexo=anidar(PROFUNDIDAD))),
    Hostil("anidado_en_extension", de_sobre("anidado_en_extension", anexo=anidar(PROFUNDIDAD))),
    Hostil("sustituto_en_data", de_datos("sustituto_en_data", facilitador="x\udc80y")),
    Hostil("sustituto_en_extension", de_sobre("sustituto_en_extension", nota="x\udc80y")),
    Hostil("nul_en_texto", de_datos("nul_en_texto", facilitador="PRODHEG\u0000")),
    Hostil("cerca_del_limite", del_tamano("cerca_del_limite", CERCA_DEL_LIMITE)),
    Hostil("sobre_el_limite", del_tamano("sobre_el_limite", SOBRE_EL_LIMITE), broker_puede_negarlo=True),
    Hostil("id_reusado_otro_contenido", reusar_id),
    Hostil("institucion_ajena", lambda b: como_json(b, sobre(b, "institucion_ajena", institucion=b.ajena)),
           "institucion_ajena"),
    Hostil("fecha_fuera_de_vigencia",
           lambda b: como_json(b, sobre(b, "fuera", datos_cambios={"fecha": (b.fin + timedelta(days=30)).isoformat()})),
           "fecha_fuera_de_vigencia"),
    Hostil("convenio_cancelado", lambda b: como_json(b, sobre(b, "cancelado", datos_cambios={"convenio_id": b.cancelado})),
           "convenio_no_vigente"),
    Hostil("convenio_desconocido",
           lambda b: como_json(b, sobre(b, "desconocido", datos_cambios={"convenio_id": b.desconocido})),
           "convenio_desconocido"),
    Hostil("horas_cero", de_datos("horas_cero", horas=0), "esquema_invalido"),
    Hostil("horas_negativas", de_datos("horas_negativas", horas=-3), "esquema_invalido"),
    Hostil("cien_mil_asistentes", de_datos("cien_mil_asistentes", asistentes=[_base36(n) for n in range(100_000)])),
    Hostil("sin_asistentes", de_datos("sin_asistentes", asistentes=[]), "sin_asistentes"),
    Hostil("content_type_erroneo", lambda b: como_json(b, sobre(b, "content_type"),
                                                       cabeceras=(("content-type", b"text/plain"),)),
           "content_type_no_soportado"),
    # Cabeceras con bytes que no son texto: ningún consumidor debe tropezar con ellas antes de leer el registro.
    Hostil("content_type_no_utf8", lambda b: como_json(b, sobre(b, "content_type_no_utf8"),
                                                       cabeceras=(("content-type", b"\xff\xfeapplication/json"),
                                                                  ("traza", b"\xc3\x28"))),
           "content_type_no_soportado"),
]
