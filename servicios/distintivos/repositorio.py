"""Persistencia del evaluador en PostgreSQL (esquema `distintivos`)."""

import json
from datetime import date

import asyncpg

from esquemas.capacitacion import SesionCompletada
from esquemas.comun import Objetivo
from esquemas.convenios import ConvenioFirmado
from servicios.distintivos.reglas import ObjetivoVisto, Reglas, SesionVista


class ReglasBloqueadas(RuntimeError):
    """Alguien cambió una versión de reglas que ya otorgó distintivos."""


class PostgresDistintivos:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    # Convenios y objetivos
    async def conocer_convenio(self, c: ConvenioFirmado) -> bool:
        nuevo = await self.conn.fetchval(
            """INSERT INTO convenios VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true""",
            c.convenio_id, c.programa, c.otorgante, c.institucion.id, c.institucion.nombre,
            c.vigencia.inicio, c.vigencia.fin)
        if nuevo:
            await self.agregar_objetivos(c.convenio_id, c.objetivos)
        return bool(nuevo)

    async def agregar_objetivos(self, convenio_id: str, objetivos: list[Objetivo]) -> None:
        await self.conn.executemany(
            """INSERT INTO objetivos (convenio_id, objetivo_id, descripcion, indicador, meta)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
            [(convenio_id, o.objetivo_id, o.descripcion, o.indicador.value, o.meta) for o in objetivos])

    async def reemplazar_objetivos(self, convenio_id: str, objetivos: list[Objetivo]) -> None:
        """Los cumplidos que siguen se quedan; lo demás vuelve a empezar (convenios publica su nuevo avance)."""
        await self.conn.execute(
            """DELETE FROM objetivos WHERE convenio_id = $1
               AND (cumplido_en IS NULL OR NOT objetivo_id = ANY($2))""",
            convenio_id, [o.objetivo_id for o in objetivos])
        await self.agregar_objetivos(convenio_id, objetivos)

    async def convenio(self, convenio_id: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM convenios WHERE convenio_id = $1 FOR UPDATE", convenio_id)

    async def cambiar_estado_convenio(self, convenio_id: str, estado: str) -> None:
        await self.conn.execute("UPDATE convenios SET estado = $2 WHERE convenio_id = $1", convenio_id, estado)

    async def marcar_objetivo(self, convenio_id: str, objetivo_id: str, valor: float, cumplido_en: date | None) -> None:
        await self.conn.execute(
            "UPDATE objetivos SET valor = $3, cumplido_en = $4 WHERE convenio_id = $1 AND objetivo_id = $2",
            convenio_id, objetivo_id, valor, cumplido_en)

    async def objetivos(self, convenio_id: str) -> list[ObjetivoVisto]:
        filas = await self.conn.fetch(
            """SELECT objetivo_id, descripcion, indicador, meta, valor, cumplido_en FROM objetivos
               WHERE convenio_id = $1 ORDER BY objetivo_id""", convenio_id)
        return [ObjetivoVisto(**dict(f)) for f in filas]

    # Sesiones
    async def guardar_sesion(self, s: SesionCompletada) -> None:
        await self.conn.execute(
            """INSERT INTO sesiones VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (convenio_id, sesion_id)
               DO UPDATE SET tema = $3, modalidad = $4, fecha = $5, horas = $6, asistentes = $7""",
            s.convenio_id, s.sesion_id, s.tema, s.modalidad.value, s.fecha, s.horas, list(s.asistentes))

    async def borrar_sesion(self, convenio_id: str, sesion_id: str) -> None:
        await self.conn.execute("DELETE FROM sesiones WHERE convenio_id = $1 AND sesion_id = $2", convenio_id, sesion_id)

    async def sesiones(self, convenio_id: str) -> list[SesionVista]:
        filas = await self.conn.fetch(
            "SELECT tema, modalidad, fecha, horas, asistentes FROM sesiones WHERE convenio_id = $1 ORDER BY fecha",
            convenio_id)
        return [SesionVista(f["tema"], f["modalidad"], f["fecha"], f["horas"], tuple(f["asistentes"])) for f in filas]

    # Evaluaciones
    async def cambiar_evaluacion(self, convenio_id: str, cumplidos: list[str], faltantes: list[str]) -> bool:
        """Guarda la evaluación; verdadero si cambió respecto de la última publicada."""
        return await self.conn.fetchval(
            """INSERT INTO evaluaciones VALUES ($1, $2, $3)
               ON CONFLICT (convenio_id) DO UPDATE SET cumplidos = $2, faltantes = $3
               WHERE evaluaciones.cumplidos <> $2 OR evaluaciones.faltantes <> $3
               RETURNING true""",
            convenio_id, json.dumps(cumplidos), json.dumps(faltantes)) is not None

    async def convenios_por_evaluar(self) -> list[str]:
        return [f["convenio_id"] for f in await self.conn.fetch(
            """SELECT c.convenio_id FROM convenios c WHERE c.estado = 'vigente'
               AND NOT EXISTS (SELECT 1 FROM distintivos d WHERE d.convenio_id = c.convenio_id)
               ORDER BY c.convenio_id""")]

    # Distintivos
    async def siguiente_indice(self) -> int:
        return await self.conn.fetchval("SELECT nextval('indices_estado')")

    async def registrar_distintivo(self, **d) -> bool:
        """Falso si ya había uno para ese convenio y periodo (aunque lo intente otra instancia a la vez)."""
        columnas = list(d)
        return await self.conn.fetchval(
            f"""INSERT INTO distintivos ({', '.join(columnas)})
                VALUES ({', '.join(f'${i}' for i in range(1, len(columnas) + 1))})
                ON CONFLICT DO NOTHING RETURNING true""", *d.values()) is not None

    async def distintivo(self, distintivo_id: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM distintivos WHERE distintivo_id = $1 FOR UPDATE", distintivo_id)

    async def anterior(self, institucion: str, programa: str, convenio_id: str) -> asyncpg.Record | None:
        """El distintivo más reciente de la institución en el programa, bajo otro convenio: el que se renueva."""
        return await self.conn.fetchrow(
            """SELECT * FROM distintivos WHERE institucion = $1 AND programa = $2 AND convenio_id <> $3
               ORDER BY fecha DESC, distintivo_id LIMIT 1""", institucion, programa, convenio_id)

    async def vigentes_del_convenio(self, convenio_id: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT * FROM distintivos WHERE convenio_id = $1 AND estado = 'vigente' FOR UPDATE", convenio_id)

    async def revocar(self, distintivo_id: str, motivo: str) -> None:
        await self.conn.execute("UPDATE distintivos SET estado = 'revocado', motivo = $2 WHERE distintivo_id = $1",
                                distintivo_id, motivo)

    async def vencer(self, hoy: date) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """UPDATE distintivos SET estado = 'vencido' WHERE estado = 'vigente' AND vigencia_fin < $1
               RETURNING distintivo_id, convenio_id, institucion, vigencia_fin""", hoy)

    async def indices_revocados(self, programa: str) -> list[int]:
        return [f["indice_estado"] for f in await self.conn.fetch(
            "SELECT indice_estado FROM distintivos WHERE programa = $1 AND estado = 'revocado' ORDER BY 1", programa)]

    # Reglas
    async def sincronizar_reglas(self, versiones: list[Reglas]) -> None:
        for r in versiones:
            guardada = await self.conn.fetchrow(
                "SELECT huella, bloqueada FROM reglas WHERE programa = $1 AND version = $2", r.programa, r.version)
            if guardada and guardada["huella"] != r.huella and guardada["bloqueada"]:
                raise ReglasBloqueadas(
                    f"La versión {r.version} de las reglas de {r.programa} ya otorgó distintivos y no puede cambiar; "
                    f"escriba los cambios como v{r.version + 1}.toml.")
            await self.conn.execute(
                """INSERT INTO reglas (programa, version, huella, contenido) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (programa, version) DO UPDATE SET huella = $3, contenido = $4""",
                r.programa, r.version, r.huella, json.dumps(r.requisito, default=str))

    async def bloquear_reglas(self, r: Reglas) -> None:
        """La versión que otorga queda registrada tal cual y bloqueada."""
        await self.conn.execute(
            """INSERT INTO reglas (programa, version, huella, contenido, bloqueada) VALUES ($1, $2, $3, $4, true)
               ON CONFLICT (programa, version) DO UPDATE SET bloqueada = true""",
            r.programa, r.version, r.huella, json.dumps(r.requisito, default=str))
