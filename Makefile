# Blue Map: `make run` serves the map, `make test` runs the whole suite. Bare `make` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.DEFAULT_GOAL := help
.PHONY: help setup system-deps run serve stop test test-fast lint bench-ingest bench-export bench-stations bench-search bench-tiles bench-indices bench-lists clean bench-alerts bench-scale worker

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required: scripts/system-deps.sh installs it"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

system-deps: ## Install PostgreSQL/PostGIS from the OS packages when missing
	@scripts/system-deps.sh server

setup: system-deps $(STAMP) $(NODE_STAMP) ## Install everything the service needs (OS packages, .venv)

run: setup ## Start the database (embedded unless DATABASE_URL), load the bundled data once, serve on :8000
	$(BIN)/bluemap db upgrade
	$(BIN)/bluemap load all --if-empty
	$(BIN)/bluemap serve

stop: ## Stop the embedded database
	$(BIN)/bluemap db stop

test: $(STAMP) ## Run the whole test suite against a throwaway PostGIS cluster, browsers included
	@scripts/system-deps.sh test
	@$(MAKE) --no-print-directory $(NODE_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## Unit tests only (no database)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

ROOMS := core standards geo db monitoring ingest supply accounts workflow reports alerts indices data layers tiles exports queries app ops
TYPED := core standards geo db monitoring accounts layers tiles

lint: $(STAMP) ## ruff (with docstring rules) on everything, mypy on the Flask-free core rooms
	$(BIN)/ruff check $(ROOMS) tests benchmarks migrations
	$(BIN)/mypy $(TYPED)

bench-ingest: $(STAMP) ## IPE-scale ingest: our loader vs ogr2ogr (with our indexes) and raw COPY of the same rows (see BENCHMARKS.md)
	@scripts/system-deps.sh bench
	$(BIN)/python -m benchmarks.ingest

bench-export: $(STAMP) ## Exports of 1.2M facilities, GeoJSON and GeoPackage, vs ogr2ogr: time, peak memory (see BENCHMARKS.md)
	@scripts/system-deps.sh bench
	$(BIN)/python -m benchmarks.export

bench-stations: $(STAMP) ## /api/stations/<id>/readings, a year of one station hourly and daily: p50/p95/p99
	@scripts/system-deps.sh server
	$(BIN)/python -m benchmarks.stations

bench-search: $(STAMP) ## /api/search latency at IPE scale: p50/p95/p99 per query kind (see BENCHMARKS.md)
	@scripts/system-deps.sh server
	$(BIN)/python -m benchmarks.search

bench-tiles: $(STAMP) ## Tiles at IPE scale: ours cold/hot vs tipg, the SQL floor and a Flask floor (see BENCHMARKS.md)
	@scripts/system-deps.sh bench
	$(BIN)/python -m benchmarks.tiles

bench-lists: $(STAMP) ## A 20,000-row supplier list at IPE scale: queued, matched, report read; vs one row per statement
	$(BIN)/python -m benchmarks.supplier_lists

bench-indices: $(STAMP) ## bluemap indices compute at IPE scale (580 brands, 116k links): time (see BENCHMARKS.md)
	$(BIN)/python -m benchmarks.indices

bench-alerts: $(STAMP) ## Alerts: commit -> webhook p95, 10,000 violations with 1 and 2 workers vs a naive loop (see BENCHMARKS.md)
	$(BIN)/python -m benchmarks.alerts

bench-scale: $(STAMP) ## 1, 2, 3 app servers on their own replicas behind nginx: cold/hot tiles, search (see BENCHMARKS.md)
	@scripts/system-deps.sh bench
	$(BIN)/python -m benchmarks.scale

worker: setup ## Run `bluemap worker` alone (export jobs, list uploads, alert delivery); `make run` starts one already
	$(BIN)/bluemap worker

clean: ## Remove the virtualenv (the database under var/ is kept; `rm -rf var` deletes it)
	rm -rf $(VENV) *.egg-info node_modules
