# bank-tax: `make run` serves the demo, `make test` runs the whole suite (SQLite, the dated tests at several
# moments, then PostgreSQL).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app

.PHONY: soak browser java node vendor run model test test-sqlite test-moments test-postgres bench lint migrate demo clean venv dev

venv: $(VENV)/.installed
dev: $(VENV)/.installed-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# the pages' browser files (ECharts; axe-core for the browser tests), pinned and checked, from npm's registry
vendor: venv
	$(BIN)/python -m bank_tax.web.vendor

migrate: venv
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load --if-empty

model: demo
	$(FLASK) model bootstrap
	$(FLASK) pipeline run --no-ingest
	$(FLASK) whitelist generate --if-none
	$(FLASK) taxcredit push

run: model
	@$(BIN)/python -m bank_tax.web.vendor || echo "!!! charts will show as tables only (no ECharts)"
	@echo "gunicorn and the scheduler; API docs at http://127.0.0.1:$(PORT)/api/docs, readiness at /readyz"
	$(BIN)/python -m bank_tax.serve --port $(PORT)

test: dev browser java node vendor
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-moments
	$(MAKE) --no-print-directory test-postgres

test-sqlite: dev
	@echo "== test suite on SQLite"
	$(BIN)/pytest

test-moments: dev
	@echo "== the date-dependent tests at every moment of tests/moments.py (SQLite)"
	BIN=$(BIN) tests/at-moments.sh

test-postgres: dev
	@echo "== test suite on PostgreSQL (throwaway cluster on loopback)"
	tests/with-postgres.sh $(BIN)/pytest

browser:
	@tests/with-browser.sh

java:
	@tests/with-java.sh

# Node and OpenSSL 3, which verify a consent receipt as a bank would
node:
	@tests/with-node.sh

soak: dev
	BANK_TAX_FUZZ_EXAMPLES=25 BANK_TAX_FAULT_SEEDS=5 tests/with-postgres.sh $(BIN)/pytest -q tests/test_fuzz.py tests/test_faults.py
	tests/with-postgres.sh $(BIN)/python -m bank_tax.bench.soak --seconds $${SOAK_SECONDS:-60}

lint: dev
	$(BIN)/ruff check .

bench: dev java
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q wrk >/dev/null; } || echo "wrk missing: the load test will be skipped"
	PG_OPTIONAL=1 tests/with-postgres.sh $(BIN)/python -m bank_tax.bench --load --pages
	$(BIN)/python -m bank_tax.bench.batch --out bench-batch.json
	PG_OPTIONAL=1 tests/with-postgres.sh $(BIN)/python -m bank_tax.bench --province $${PROVINCE_FIRMS:-100000}

clean:
	rm -rf $(VENV) instance bench-results.json bench-batch.json bench-province.json *.egg-info
