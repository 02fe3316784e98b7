"""Quién recibe cada aviso y por qué canal; sólo biblioteca estándar."""

from dataclasses import dataclass

AVISOS = ("convenio_firmado", "objetivo_cumplido", "evidencia_rechazada", "distintivo_otorgado",
          "distintivo_por_vencer", "distintivo_vencido", "distintivo_revocado", "rechazo")
POR_ROL = {"tecnico": ("rechazo",)}
POR_OMISION = tuple(a for a in AVISOS if a != "rechazo")


@dataclass(frozen=True)
class Contacto:
    email: str
    rol: str = "enlace"
    avisos: tuple[str, ...] | None = None

    def quiere(self, aviso: str) -> bool:
        return aviso in (self.avisos if self.avisos is not None else POR_ROL.get(self.rol, POR_OMISION))


@dataclass(frozen=True)
class Webhook:
    institucion: str
    url: str
    avisos: tuple[str, ...] | None = None

    def quiere(self, aviso: str, institucion: str) -> bool:
        return institucion == self.institucion and (self.avisos is None or aviso in self.avisos)


def destinatarios(aviso: str, institucion: str, contactos: list[Contacto], operadores: list[Contacto],
                  webhooks: list[Webhook]) -> list[tuple[str, str]]:
    """(canal, destinatario), sin repetir: los contactos de la institución, los operadores en copia, sus webhooks."""
    correos = [c.email for c in contactos + operadores if c.quiere(aviso)]
    ganchos = [w.url for w in webhooks if w.quiere(aviso, institucion)]
    return list(dict.fromkeys([("email", c) for c in correos] + [("webhook", u) for u in ganchos]))
