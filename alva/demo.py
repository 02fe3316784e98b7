"""`make demo`: arranca todo en el entorno embebido (también la consola), juega el escenario del IMSS Guanajuato y
muestra cada evento."""

import argparse
import asyncio
import email
import email.policy
import json
import os
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import httpx

from alva import escenario
from alva.consola.config import AjustesConsola
from alva.consola.usuarios import CREAR_PRIMERA
from alva.lineas import linea
from alva.observador import Observador
from alva.supervision import control
from alva.supervision.control import preparar_infraestructura  # noqa: F401 - la usan caos y rendimiento
from alva.supervision.procesos import CONSOLA, SERVICIOS, SUPERVISADOS
from alva.supervision.registro import Rutas, leer_json
from alva.supervision.sonda import supervisor_vivo
from esquemas.catalogo import TOPICOS_CANONICOS
from esquemas.distintivos import DistintivoOtorgado, ListaEstadoPublicada
from esquemas.notificaciones import NotificacionEnviada
from infra import entorno as infra
from plataforma.config import Ajustes
from plataforma.embebido import carpeta_datos
from esquemas.ingreso import topico_ingreso
from plataforma.topicos import dar_de_alta
from servicios.distintivos.claves import cargar_claves
from servicios.distintivos.config import AjustesDistintivos

PLAZO_S = float(os.environ.get("ALVA_DEMO_PLAZO_S", "120"))


def reinicios(rutas: Rutas) -> dict[str, int]:
    return {n: a.get("reinicios", 0) for n, a in (leer_json(rutas.estado) or {}).get("servicios", {}).items()}


async def seguir(observador: Observador, ids: set[str], rutas: Rutas, buzon: Path | None) -> dict:
    """Imprime cada evento de nuestras cadenas hasta ver el distintivo y su correo, o hasta el plazo (o hasta que el
    supervisor termine); anota qué servicios se reiniciaron mientras tanto."""
    visto: dict = {}
    antes = reinicios(rutas)

    def supervisados() -> bool:
        visto["caidos"] = [n for n, r in reinicios(rutas).items() if r > antes.get(n, 0)]
        return supervisor_vivo(leer_json(rutas.estado)) is not None

    async for topico, evento in observador.eventos(PLAZO_S, mientras=supervisados):
        if not ({str(evento.id), evento.correlationid} & ids):
            continue
        print(linea(evento, topico), flush=True)
        if evento.type == DistintivoOtorgado.tipo:
            visto["otorgado"] = evento
        elif evento.type == ListaEstadoPublicada.tipo:
            visto["lista"] = evento
        elif evento.type == NotificacionEnviada.tipo and "otorgado" in visto \
                and evento.data["evento_id"] == str(visto["otorgado"].id):
            visto["enviada"] = evento
            if buzon is None:
                break
            if correo := await esperar_correo(buzon, evento.data["notificacion_id"]):
                visto.update(correo)
                break
    return visto


async def esperar_correo(buzon: Path, notificacion_id: str, plazo_s: float = 10) -> dict:
    limite = time.monotonic() + plazo_s
    while time.monotonic() < limite:
        if encontrado := buscar_correo(buzon, notificacion_id):
            return encontrado
        await asyncio.sleep(0.2)
    return {}


def buscar_correo(buzon: Path, notificacion_id: str) -> dict:
    for archivo in sorted(buzon.glob("*.eml"), reverse=True):
        mensaje = email.message_from_bytes(archivo.read_bytes(), policy=email.policy.default)
        if mensaje["X-ALVA-Notificacion"] == notificacion_id:
            return {"correo": mensaje, "archivo": archivo}
    return {}


async def abrir_pagina(otorgado, consola: str) -> dict:
    """La página pública del distintivo (el `id` de su credencial), pedida a la consola como la pediría cualquiera;
    sólo si la credencial nombra esta consola (con ALVA_URL_PUBLICA propia, se dice la dirección y nada más)."""
    url = (otorgado.data.get("credencial") or {}).get("id")
    if not url or not url.startswith(consola):
        return {"url": url}
    try:
        async with httpx.AsyncClient(timeout=10, trust_env=False) as cliente:
            respuesta = await cliente.get(url, headers={"Accept": "text/html"})
    except httpx.HTTPError as e:
        return {"url": url, "falla": f"no respondió ({type(e).__name__})"}
    if respuesta.status_code != 200 or "Credencial válida" not in respuesta.text:
        return {"url": url, "falla": f"HTTP {respuesta.status_code}, sin «Credencial válida»"}
    return {"url": url, "valida": True}


def resumir(visto: dict, buzon: Path | None, bitacoras: Path) -> int:
    print()
    if otorgado := visto.get("otorgado"):
        d = otorgado.data
        print(f"Distintivo {d['programa']} otorgado a {d['institucion_nombre']}: {d['distintivo_id']}, "
              f"vigente del {d['vigencia']['inicio']} al {d['vigencia']['fin']}.")
    if correo := visto.get("correo"):
        print(f"Correo entregado ({visto['archivo']}):")
        print(f"  De: {correo['From']}\n  Para: {correo['To']}\n  Asunto: {correo['Subject']}")
        texto = correo.get_body(preferencelist=("plain",)).get_content()
        print("".join(f"  | {renglon}\n" for renglon in texto.splitlines()[:12]), end="")
    elif "enviada" in visto and buzon is None:
        print(f"Correo entregado al servidor SMTP configurado para {visto['enviada'].data['destinatario']}.")
    if otorgado and "lista" in visto:
        mostrar_verificacion(otorgado, visto["lista"], carpeta_datos() / "credenciales")
    mostrar_consola(visto)
    faltan = [que for que, clave in (("el distintivo otorgado", "otorgado"), ("la notificación enviada", "enviada"),
                                     ("el correo en el buzón", "correo" if buzon else "enviada")) if clave not in visto]
    if (pagina := visto.get("pagina")) and "falla" in pagina:
        faltan.append("la página pública del distintivo en la consola")
    if not faltan:
        print("\nTodo en orden: convenio firmado, sesiones completadas, objetivos cumplidos, distintivo y correo.")
        return 0
    if caidos := visto.get("caidos"):
        print(f"Se cayeron y se reiniciaron: {', '.join(caidos)}; vea {bitacoras}/<servicio>.log")
    print(f"Falta: {', '.join(dict.fromkeys(faltan))} (plazo {PLAZO_S:g} s). Bitácoras de los servicios: {bitacoras}")
    return 1


def mostrar_consola(visto: dict) -> None:
    """Dónde se ve lo mismo en la consola web: su dirección, la página pública del distintivo y cómo entrar."""
    if not (url := visto.get("consola")):
        return
    sigue = "" if visto.get("consola_sigue") else \
        " (se detuvo con la demo; `make demo DEMO_ARGS=--dejar` o `make up` la dejan en marcha)"
    print(f"\nConsola web: {url}{sigue}")
    if pagina := visto.get("pagina"):
        como = ("✔ la consola la muestra como válida" if pagina.get("valida") else f"✘ {pagina['falla']}"
                if "falla" in pagina else "no la sirve esta consola: ALVA_URL_PUBLICA nombra otra")
        print(f"  Página pública del distintivo: {pagina['url']}  ({como})")
    if AjustesConsola().sin_cuentas():
        print(f"  Para entrar como operador, cree la primera cuenta: .venv/bin/{CREAR_PRIMERA}")


def mostrar_verificacion(otorgado, lista, carpeta: Path) -> None:
    """Guarda la credencial, la lista de estado y las claves públicas del otorgante (JWKS) como las tendría
    cualquiera, y las verifica sin conexión con `alva verificar`."""
    carpeta.mkdir(parents=True, exist_ok=True)
    credencial = carpeta / f"distintivo-{otorgado.data['distintivo_id']}.jwt"
    credencial.write_text(otorgado.data["credencial_jwt"], encoding="utf-8")
    estado = carpeta / f"lista-estado-{lista.data['programa']}.jwt"
    estado.write_text(lista.data["credencial_jwt"], encoding="utf-8")
    otorgante = otorgado.data["otorgante"]
    jwks = carpeta / f"jwks-{otorgante}.json"
    claves = cargar_claves(AjustesDistintivos().carpeta_claves, otorgante)
    jwks.write_text(json.dumps({"keys": [c.jwk() for c in claves]}, indent=2), encoding="utf-8")
    argumentos = [str(credencial), "--jwks", str(jwks), "--lista", str(estado)]
    print(f"\nVerificación de la credencial, sin conexión:\n  $ alva verificar {_relativa(credencial)} "
          f"--jwks {_relativa(jwks)} --lista {_relativa(estado)}")
    salida = subprocess.run([sys.executable, "-m", "alva", "verificar", *argumentos], capture_output=True, text=True,
                            check=False)
    print("".join(f"  {renglon}\n" for renglon in (salida.stdout + salida.stderr).splitlines()), end="")


def _relativa(ruta: Path) -> str:
    try:
        return str(ruta.relative_to(Path.cwd()))
    except ValueError:
        return str(ruta)


async def principal(dejar: bool) -> int:
    inicio = time.monotonic()
    try:
        buzon = preparar_infraestructura()
    except infra.ErrorEntorno as e:
        print(f"No se pudo arrancar la infraestructura: {e}", file=sys.stderr)
        return 2
    ajustes = Ajustes()
    await dar_de_alta(ajustes.conexion_kafka("alva-admin"), escenario.IMSS, particiones=ajustes.particiones,
                      replicacion=ajustes.replicacion)  # el otorgante ya está: lo dio de alta el aprovisionamiento
    ingresos = [topico_ingreso(i) for i in (escenario.OTORGANTE, escenario.IMSS)]
    observador = await Observador.abrir(ajustes.conexion_kafka("alva-operador").aiokafka(),
                                        [*TOPICOS_CANONICOS, *ingresos])
    rutas = Rutas.actuales()
    nuestros = [s for s in SUPERVISADOS if s not in control.en_marcha(rutas)]  # los que arranca (y detiene) la demo
    try:
        _, filas = await asyncio.to_thread(control.arrancar, list(SUPERVISADOS), plazo_s=PLAZO_S)
        consola = next(f.url for f in filas if f.servicio == CONSOLA)
        ya = "" if nuestros else "ya estaban "
        print(f"servicios {', '.join(SERVICIOS)} {ya}en marcha, y la consola en {consola} "
              f"(bitácoras en {_relativa(rutas.bitacoras)})\n")
        corrida, hoy = datetime.now().strftime("%Y%m%d-%H%M%S"), date.today()
        reportes = [escenario.convenio(corrida, hoy), *escenario.sesiones(corrida, hoy)]
        await escenario.enviar_como_cada_una(ajustes, reportes)
        visto = await seguir(observador, {str(r.evento.id) for r in reportes}, rutas, buzon)
        visto |= {"consola": consola, "consola_sigue": dejar or CONSOLA not in nuestros}
        if "otorgado" in visto:  # mientras la consola corre
            visto["pagina"] = await abrir_pagina(visto["otorgado"], consola)
    except control.ErrorServicios as e:
        print(f"Los servicios no arrancaron: {e}", file=sys.stderr)
        visto = None
    finally:
        await observador.cerrar()
        if nuestros and not dejar:
            await asyncio.to_thread(control.detener, nuestros)
    codigo = resumir(visto, buzon, rutas.bitacoras) if visto is not None else 1
    siguen = "Kafka, PostgreSQL, los servicios y la consola siguen en marcha: `make down` detiene los servicios y la " \
             "consola, y `make stop` lo demás" if dejar or not nuestros else \
        "Kafka y PostgreSQL siguen en marcha: `make stop` los detiene"
    print(f"({time.monotonic() - inicio:.1f} s; {siguen})")
    if codigo == 0:
        print(f"Después: `.venv/bin/alva estado {escenario.IMSS}` muestra su avance y su distintivo; "
              "`.venv/bin/alva --help`, el resto.")
    return codigo


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m alva.demo", description=__doc__)
    parser.add_argument("--dejar", action="store_true", default=os.environ.get("ALVA_DEMO_DEJAR") == "1",
                        help="dejar los servicios en marcha al terminar (como `make up`); también ALVA_DEMO_DEJAR=1")
    raise SystemExit(asyncio.run(principal(parser.parse_args().dejar)))


if __name__ == "__main__":
    main()
