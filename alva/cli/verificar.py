"""`alva verificar`: cualquiera comprueba un distintivo con las claves y la lista de estado que publica su emisor
(de las URL que nombra la credencial, o de archivos), sin esta plataforma ni su base."""

import json
import sys
from pathlib import Path
from typing import Annotated

import httpx
import jwt
import typer
from rich.markup import escape

from alva.cli.comun import Salida, consola, en_json, json_a_pantalla, salir
from servicios.distintivos import verificar as verificacion
from servicios.distintivos.credencial import id_de
from servicios.distintivos.verificar import Estado, Informe

LIMITE_BYTES = 2 * 1024 * 1024  # una lista de estado comprimida pesa KiB; un JWKS, menos
CODIGOS = {Estado.valida: Salida.BIEN, Estado.revocada: Salida.RECHAZADO, Estado.vencida: Salida.RECHAZADO,
           Estado.aun_no_vigente: Salida.RECHAZADO, Estado.firma_invalida: Salida.INVALIDO,
           Estado.no_valida: Salida.INVALIDO}
VEREDICTOS = {Estado.valida: "Credencial válida", Estado.revocada: "Credencial REVOCADA",
              Estado.vencida: "Credencial VENCIDA", Estado.aun_no_vigente: "Credencial aún NO vigente",
              Estado.firma_invalida: "Credencial NO válida (firma)", Estado.no_valida: "Credencial NO válida"}


class SinFuente(Exception):
    """No se pudo obtener la credencial, las claves o la lista: ni archivo legible ni URL que responda."""

    def __init__(self, mensaje: str, codigo: Salida) -> None:
        super().__init__(mensaje)
        self.codigo = codigo


def _es_url(fuente: str) -> bool:
    return fuente.startswith(("https://", "http://"))


def _descargar(url: str, acepta: str) -> str:
    try:
        with httpx.stream("GET", url, headers={"Accept": acepta}, timeout=15, follow_redirects=True) as r:
            if r.status_code != 200:
                raise SinFuente(f"{url} respondió {r.status_code}.", Salida.SIN_CONEXION)
            cuerpo = b""
            for trozo in r.iter_bytes():
                cuerpo += trozo
                if len(cuerpo) > LIMITE_BYTES:
                    raise SinFuente(f"{url} devolvió más de {LIMITE_BYTES} bytes.", Salida.INVALIDO)
    except httpx.HTTPError as e:
        raise SinFuente(f"No se pudo consultar {url} ({type(e).__name__}: {e}).", Salida.SIN_CONEXION) from None
    return cuerpo.decode("utf-8", "replace")


def leer(fuente: str, acepta: str = "*/*") -> str:
    """El texto de un archivo, de la entrada estándar (`-`) o de una URL http(s)."""
    if _es_url(fuente):
        return _descargar(fuente, acepta)
    try:
        return sys.stdin.read() if fuente == "-" else Path(fuente).read_text(encoding="utf-8")
    except OSError as e:
        raise SinFuente(f"No se pudo leer {e.filename or fuente}: {e.strerror}.", Salida.INVALIDO) from None
    except UnicodeDecodeError:
        raise SinFuente(f"{fuente} no es texto UTF-8.", Salida.INVALIDO) from None


def urls_de(token: str) -> tuple[str | None, str | None]:
    """Dónde publica el emisor lo que hace falta, según la propia credencial (aún sin verificar): su JWKS en
    `<issuer.id>/jwks.json` y la lista en `credentialStatus.statusListCredential`."""
    try:
        reclamos = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None, None
    emisor = id_de(reclamos.get("issuer"))
    lista = (reclamos.get("credentialStatus") or {}).get("statusListCredential") \
        if isinstance(reclamos.get("credentialStatus"), dict) else None
    jwks = f"{emisor.rstrip('/')}/jwks.json" if isinstance(emisor, str) and _es_url(emisor) else None
    return jwks, lista if isinstance(lista, str) and _es_url(lista) else None


def _claves(jwks: str | None, clave_publica: Path | None, url: str | None, sin_red: bool):
    if clave_publica is not None:
        return verificacion.claves_de(leer(str(clave_publica)).encode()), str(clave_publica)
    fuente = jwks or url
    if fuente is None or (sin_red and _es_url(fuente)):
        raise SinFuente("Faltan las claves públicas del emisor: dé --jwks (archivo o URL) o --clave-publica; la "
                        "credencial no nombra un emisor con URL de dónde tomarlas." if not sin_red else
                        "Con --sin-red hay que dar las claves: --jwks archivo.json o --clave-publica archivo.pem.",
                        Salida.INVALIDO)
    try:
        return verificacion.claves_de(json.loads(leer(fuente, "application/jwk-set+json, application/json"))), fuente
    except ValueError as e:
        raise SinFuente(f"{fuente} no es un JWKS: {e}", Salida.INVALIDO) from None


def _lista(lista: str | None, url: str | None, sin_red: bool) -> tuple[str | None, str | None]:
    fuente = lista or (None if sin_red else url)
    if fuente is None:
        return None, None
    return leer(fuente, "application/vc+jwt, application/jwt, text/plain"), fuente


def comprobar(credencial: str, *, jwks: str | None = None, lista: str | None = None,
              clave_publica: Path | None = None, sin_red: bool = False) -> tuple[Informe, dict[str, str | None]]:
    """El informe de la credencial y de dónde salieron las claves y la lista; SinFuente si falta algo."""
    token = leer(credencial).strip()
    url_jwks, url_lista = urls_de(token)
    claves, de_claves = _claves(jwks, clave_publica, url_jwks, sin_red)
    lista_jwt, de_lista = _lista(lista, url_lista, sin_red)
    return verificacion.verificar(token, claves, lista_jwt), {"claves": de_claves, "lista": de_lista}


def _mostrar(informe: Informe, fuentes: dict) -> None:
    for hallazgo in informe.hallazgos:
        consola.print(f"{informe.marca(hallazgo)} {hallazgo}", markup=False)
    if informe.credencial:
        r = verificacion.resumen(informe.credencial)
        filas = [("Titular", f"{r['titular']['nombre']} ({r['titular']['id']})"),
                 ("Programa", f"{r['programa']} · {r['distintivo']['descripcion']}"),
                 ("Distintivo", r["distintivo"]["id"]),
                 ("Emisor", f"{r['emisor']['nombre']} ({r['emisor']['id']})"),
                 ("Vigencia", f"del {str(r['vigencia']['desde'])[:10]} al {str(r['vigencia']['hasta'])[:10]}")]
        consola.print("", *(f"  {k + ':':<11} {v}" for k, v in filas), sep="\n", markup=False)
        consola.print("  Criterios:", *(f"    - {c}" for c in r["criterios"]), sep="\n", markup=False)
    consola.print(f"  Claves:     {fuentes['claves']}" + (f" (kid {informe.kid})" if informe.kid else ""),
                  f"  Lista:      {fuentes['lista'] or 'no se consultó'}", sep="\n", markup=False)
    motivos = "; ".join(f.rstrip(".") for f in informe.fallos)
    consola.print(VEREDICTOS[informe.estado] + (f": {motivos}" if motivos else ""), markup=False)


def _a_json(informe: Informe, fuentes: dict) -> dict:
    return {"estado": informe.estado.value, "valida": informe.valida, "codigo_salida": int(CODIGOS[informe.estado]),
            **(verificacion.resumen(informe.credencial) if informe.credencial else {}),
            "fuentes": fuentes, "kid": informe.kid, "hallazgos": informe.hallazgos, "fallos": informe.fallos,
            "avisos": informe.avisos, "credencial": informe.credencial}


def verificar(
    credencial: Annotated[str, typer.Argument(help="Archivo con la credencial (VC-JWT compacto), - para la entrada "
                                                   "estándar, o su URL.")],
    jwks: Annotated[str | None, typer.Option(
        "--jwks", help="Las claves públicas del emisor (JWKS): archivo o URL. Por omisión, <issuer>/jwks.json de "
                       "la credencial.")] = None,
    lista: Annotated[str | None, typer.Option(
        "--lista", "--lista-estado", help="La lista de estado (VC-JWT): archivo o URL. Por omisión, la URL que "
                                          "nombra la credencial (credentialStatus.statusListCredential).")] = None,
    clave_publica: Annotated[Path | None, typer.Option(
        "--clave-publica", help="En vez de --jwks: la clave pública del otorgante, en PEM.")] = None,
    sin_red: Annotated[bool, typer.Option(
        "--sin-red", help="No consultar ninguna URL: las claves de archivo; sin --lista, la revocación queda sin "
                          "comprobar (con aviso).")] = False,
    como_json: Annotated[bool, typer.Option("--json", help="Salida JSON para scripts.")] = False,
) -> None:
    """Verifica un Distintivo (Open Badges 3.0 firmado como VC-JWT): firma, estructura, vigencia y revocación.

    Dice si es válida, quién la tiene, de qué programa y con qué cifras se otorgó.

    Códigos de salida: 0 válida; 1 revocada, vencida o aún no vigente; 2 no válida (firma, estructura o entrada
    ilegible); 4 sin conexión con las URL de las claves o de la lista."""
    en_json(como_json)
    try:
        informe, fuentes = comprobar(credencial, jwks=jwks, lista=lista, clave_publica=clave_publica, sin_red=sin_red)
    except SinFuente as e:
        salir(e.codigo, f"[red]✘[/] {escape(str(e))}")
    except ValueError as e:
        salir(Salida.INVALIDO, f"[red]✘[/] {escape(str(e))}")
    if como_json:
        json_a_pantalla(_a_json(informe, fuentes))
    else:
        _mostrar(informe, fuentes)
    raise typer.Exit(int(CODIGOS[informe.estado]))


def como_programa() -> None:
    """`python -m servicios.distintivos.verificar`: lo mismo que `alva verificar`."""
    typer.run(verificar)
