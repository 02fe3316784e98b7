# Imagen única de ALVA: los cuatro servicios comparten código; cada servicio de
# docker-compose.yml elige el suyo con `command: ["python", "-m", "servicios.<nombre>"]`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

# Sólo lo que el paquete instala (ver [tool.setuptools.packages.find] en pyproject.toml).
COPY pyproject.toml ./
COPY esquemas ./esquemas
COPY plataforma ./plataforma
COPY servicios ./servicios
COPY alva ./alva
COPY infra ./infra

RUN pip install --no-cache-dir . \
 && rm -rf build ./*.egg-info \
 && useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin alva

USER alva

CMD ["python", "-c", "print('ALVA: elija un servicio, p. ej. python -m servicios.convenios | servicios.capacitacion | servicios.distintivos | servicios.notificaciones')"]
