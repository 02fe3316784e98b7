"""La rueda (wheel) instalada fuera del repositorio lleva lo que el código lee junto a sí (`Path(__file__)`): las
reglas de los programas, las plantillas, las migraciones, los esquemas y lo que arranca Kafka."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

RAIZ = Path(__file__).resolve().parents[2]
PAQUETES = ("alva", "esquemas", "infra", "plataforma", "servicios")

# En la venv nueva, sólo con la biblioteca estándar: qué instaló la rueda, y las reglas cargadas desde ahí.
SONDA = """
import importlib.metadata, json
from servicios.distintivos.reglas import CARPETA, cargar
programas = {p: [r.version for r in vs] for p, vs in cargar(CARPETA).items()}
print(json.dumps({"instalados": sorted(str(p) for p in importlib.metadata.files("alva")), "reglas": str(CARPETA),
                  "programas": programas}))
"""


def _correr(*orden: str, cwd: Path) -> str:
    r = subprocess.run(orden, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{' '.join(orden)}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def _recursos() -> list[str]:
    """Lo versionado en los paquetes que no es código: lo que la rueda debe llevar."""
    versionados = _correr("git", "ls-files", *PAQUETES, cwd=RAIZ).splitlines()
    return [a for a in versionados if not a.endswith(".py")]


def _copia_limpia(destino: Path) -> Path:
    """Sólo lo versionado: sin .venv, ni build/ de una construcción anterior que colaría archivos viejos."""
    for archivo in _correr("git", "ls-files", cwd=RAIZ).splitlines():
        if (RAIZ / archivo).is_file():
            (destino / archivo).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(RAIZ / archivo, destino / archivo)
    return destino


def test_la_rueda_instalada_lleva_reglas_plantillas_migraciones_y_esquemas(tmp_path):
    if shutil.which("git") is None or not (RAIZ / ".git").exists():
        pytest.skip("hace falta el repositorio git para saber qué archivos se versionan")
    fuente = _copia_limpia(tmp_path / "fuente")
    _correr(sys.executable, "-m", "pip", "wheel", str(fuente), "--no-deps", "-q", "-w", str(tmp_path / "rueda"),
            cwd=tmp_path)
    [rueda] = (tmp_path / "rueda").glob("alva-*.whl")
    _correr(sys.executable, "-m", "venv", str(tmp_path / "venv"), cwd=tmp_path)
    python = tmp_path / "venv" / "bin" / "python"
    _correr(str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(rueda), cwd=tmp_path)

    sonda = json.loads(_correr(str(python), "-c", SONDA, cwd=tmp_path))
    faltan = sorted(set(_recursos()) - set(sonda["instalados"]))
    assert not faltan, f"la rueda no lleva: {faltan}"
    for recurso in ("servicios/distintivos/programas/ALVA/v2.toml", "servicios/distintivos/ejemplos/",
                    "servicios/notificaciones/plantillas/distintivo_otorgado.txt.j2",
                    "servicios/distintivos/sql/0001_distintivos.sql", "plataforma/sql/0001_inbox_outbox.sql",
                    "esquemas/json/cloudevent.json", "infra/kafka/pom.xml"):
        assert any(i.startswith(recurso) for i in sonda["instalados"]), recurso
    # Las reglas se leen de la venv, no del repositorio, y están todas.
    assert Path(sonda["reglas"]).is_relative_to(tmp_path / "venv")
    assert sonda["programas"] == {"ALVA": [1, 2]}
