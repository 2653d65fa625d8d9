# The two commands of the README: `make run` and `make test`. Both start from nothing but
# Python: they create .venv and install the pinned dependencies when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck pytest install migrate demo serve gunicorn soak bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

run: demo
	@echo "Serving on http://$(HOST):$(PORT)/ (demo accounts: see README.md)"
	$(PY) manage.py runserver $(HOST):$(PORT)

# Several app processes, as in production (PostgreSQL: set DATABASE_URL).
# The demo's ID numbers were sealed with the keys development derives from SECRET_KEY:
# unless NRMM_FIELD_KEYS / NRMM_FIELD_HASH_KEY are given, the trial uses those same keys.
gunicorn: demo
	$(PY) manage.py collectstatic --noinput --verbosity 0
	keys="$$($(PY) manage.py field_keys --development 2>/dev/null)"; \
	DEBUG=$${DEBUG:-0} SECRET_KEY=$${SECRET_KEY:-local-gunicorn-secret} \
	NRMM_FIELD_KEYS=$${NRMM_FIELD_KEYS:-$${keys% *}} NRMM_FIELD_HASH_KEY=$${NRMM_FIELD_HASH_KEY:-$${keys#* }} \
	$(BIN)/gunicorn nrmm.wsgi --bind $(HOST):$(PORT) --workers $${WORKERS:-4} --access-logfile - \
	--logger-class core.logmask.GunicornLogger

# Load and faults (issue #8; not part of `make test`): gunicorn on a throwaway PostgreSQL
# cluster of its own (initdb, port 55432), a worker killed and PostgreSQL restarted under
# load, then every acknowledged submission and approval checked in the database. Writes
# docs/reliability.md. SOAK_SECONDS (120), SOAK_OWNERS (4), SOAK_PUBLIC (2).
soak: install
	$(PY) bench/soak.py

# Load figures beside their floors on a scratch PostgreSQL database (see bench/README.md):
# BENCH_MACHINES (default 1000000), BENCH_SIZES, BENCH_DATABASE_URL (dropped and created).
bench: install
	$(PY) bench/run.py

lint: install
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .

typecheck: install
	$(BIN)/mypy .

pytest: install
	$(PY) -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
