"""El Chromium de Debian para las pruebas de la consola en un navegador: se instala con apt-get sólo si falta."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")


def instalar(salida=print) -> bool:
    if CHROMIUM.exists():
        return True
    if not shutil.which("apt-get"):
        return False
    como = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if como and not shutil.which("sudo"):
        return False
    salida("chromium  not found: apt-get install -y chromium (for the console's browser tests)")
    entorno = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    orden = [*como, "apt-get", "install", "-y", "-q", "chromium"]
    if subprocess.run(orden, capture_output=True, env=entorno).returncode != 0:
        subprocess.run([*como, "apt-get", "update", "-q"], capture_output=True, env=entorno)
        subprocess.run(orden, capture_output=True, env=entorno)
    return CHROMIUM.exists()


def main() -> int:
    if not instalar():
        print(f"chromium  not installed: the browser tests need {CHROMIUM}. Fix: apt-get install chromium",
              file=sys.stderr)
        return 0
    version = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True).stdout.strip()
    print(f"chromium  {CHROMIUM} ({version or '?'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
