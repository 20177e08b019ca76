# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make run    virtualenv, install from requirements.lock, migrate the SQLite default, load the demo data, serve on :8000
#   make test   install from requirements-test.lock into the same virtualenv, lint, run the whole suite
# and one after a dependency change in pyproject.toml:
#   make lock   re-resolve requirements.lock and requirements-test.lock
#               (pins that still fit are kept; `make lock LOCK_ARGS=--upgrade` moves everything to the newest)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export HOST PORT

# Installs come from the lock files only: exact versions with hashes (pip, and setuptools to build the
# project without build isolation, included), then the project itself with --no-deps.
LOCK      := requirements.lock
TEST_LOCK := requirements-test.lock
UV_VERSION := 0.13.9
LOCK_ARGS ?=

.PHONY: run test lint format install install-test lock assets migrate seed serve bench clean screenshot

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/python -m pip check || { echo "$(LOCK) does not satisfy pyproject.toml: run make lock" >&2; exit 1; }
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed $(TEST_LOCK)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(TEST_LOCK)
	@touch $@

# The lock files: every platform, Python 3.11 and newer (--universal), hashes of every file of each pin.
# pip and the [build-system] requirements are locked too. The test lock is constrained by the runtime
# lock, so the packages they share have the same pins.
LOCK_TOOLS = { echo pip; $(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")'; }
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml - --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" --quiet $(LOCK_ARGS)

lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(LOCK_TOOLS) | $(UV_COMPILE) -o $(LOCK)
	$(LOCK_TOOLS) | $(UV_COMPILE) --extra test -c $(LOCK) -o $(TEST_LOCK)

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/minedash migrate

seed: migrate
	$(BIN)/minedash seed-demo --if-empty

# Front-end libraries from the npm registry at the versions package-lock.json pins (integrity-checked, no
# install scripts). Without Node the server falls back to the full plotly.js inside the Python wheel.
ASSETS_STAMP := node_modules/.installed

$(ASSETS_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: serving the full plotly.js from the Python wheel (install Node 20 for the 3x smaller build)"; \
	fi

assets: $(ASSETS_STAMP)

serve: install assets
	$(BIN)/minedash serve --host $(HOST) --port $(PORT)

run: seed assets
	@echo "Minedash on http://$(HOST):$(PORT)"
	$(BIN)/minedash serve --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint assets
	$(BIN)/python -m pytest

screenshot: install-test
	$(BIN)/python scripts/screenshot.py http://$(HOST):$(PORT)/ docs/overview.png --full

bench: install-test assets
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache *.egg-info
