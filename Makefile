# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make run    virtualenv, install, migrate the SQLite default, load the demo data, serve on :8000
#   make test   install the test extras into the same virtualenv, lint, run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export HOST PORT

.PHONY: run test lint format install install-test migrate seed serve bench clean screenshot

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/minedash migrate

seed: migrate
	$(BIN)/minedash seed-demo --if-empty

serve: install
	$(BIN)/minedash serve --host $(HOST) --port $(PORT)

run: seed
	@echo "Minedash on http://$(HOST):$(PORT)"
	$(BIN)/minedash serve --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python -m pytest

screenshot: install-test
	$(BIN)/python scripts/screenshot.py http://$(HOST):$(PORT)/ docs/overview.png --full

bench: install-test
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
