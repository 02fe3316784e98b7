# ALVA: `make demo` arranca todo y juega el escenario; `make test` corre todas las pruebas;
# `make up` deja los servicios y la consola en marcha bajo su supervisor y `make down` los detiene.
# El Python del entorno virtual: el más rápido de los 3.11+ de la máquina (infra/interprete.py lo mide al crear el
# entorno); `make PYTHON=/ruta/python3 ...` lo fija.
PYTHON ?= $(shell python3 -m infra.interprete --detalle || echo python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
BENCH_ARGS ?=
DEMO_ARGS ?=

.PHONY: demo up down test test-unit test-integration test-e2e infra stop estado esquemas clean bench caos

$(VENV)/.instalado: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m infra.kcat
	$(PY) -m alva.consola.chromium
	touch $@

# make demo DEMO_ARGS=--dejar: los servicios siguen en marcha al terminar (make down los detiene)
demo: $(VENV)/.instalado
	$(PY) -m alva.demo $(DEMO_ARGS)

# Kafka, PostgreSQL y SMTP embebidos (si el entorno no nombra otros), los cuatro servicios y la consola, bajo un
# supervisor
up: $(VENV)/.instalado
	$(PY) -m alva servicios arrancar

# Sólo los servicios y la consola; lo embebido sigue hasta `make stop`
down: $(VENV)/.instalado
	$(PY) -m alva servicios detener

test: $(VENV)/.instalado
	$(PY) -m pytest

bench: $(VENV)/.instalado
	$(PY) -m alva.rendimiento $(BENCH_ARGS)

# Prueba de fallas (python -m alva.caos --help); en CI: make caos CAOS=--corto
caos: $(VENV)/.instalado
	$(PY) -m alva.caos $(CAOS)

test-unit: $(VENV)/.instalado
	$(PY) -m pytest -m unit

test-integration: $(VENV)/.instalado
	$(PY) -m pytest -m integration

test-e2e: $(VENV)/.instalado
	$(PY) -m pytest -m e2e

infra: $(VENV)/.instalado
	$(PY) -m infra.entorno arrancar

estado: $(VENV)/.instalado
	$(PY) -m infra.entorno estado

stop:
	@if [ -x $(PY) ]; then $(PY) -m alva servicios detener; $(PY) -m infra.entorno detener; \
	else python3 -m infra.entorno detener; fi

esquemas: $(VENV)/.instalado
	$(PY) -m esquemas.exportar

clean: stop
	rm -rf .alva $(VENV)
