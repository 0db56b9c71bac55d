# The index of commands. Every target installs what it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PROTOS := $(wildcard protos/coupon/v1/*.proto)

STUBS := gen/coupon
LINTED := coupon_service clients tests scripts benchmarks stress

.PHONY: help install run test test-fast test-integration test-e2e proto proto-check fmt lint ci \
	bench bench-quick stress stress-quick clean

help:            ## List the commands.
	@grep -E '^[a-z0-9-]+:.*## ' Makefile | sed 's/:.*## /\t/'

# The generated stubs (gen/) and the client (clients/) are distributions of their own, which the
# service depends on: all three are installed editable, so a change to any is live at once.
$(INSTALLED): pyproject.toml gen/pyproject.toml clients/pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ./gen -e ./clients -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)  ## Create .venv and install the service, its stubs and client, and dev tools.

run: $(INSTALLED)  ## Serve gRPC on 127.0.0.1:50051 and REST on :8080 with the demo data.
	$(BIN)/coupon-service serve --demo

test: $(INSTALLED)  ## Run the whole suite: unit, SQLite, PostgreSQL and end-to-end.
	$(BIN)/pytest

test-fast: $(INSTALLED)  ## Run the unit tests only.
	$(BIN)/pytest tests/unit

test-integration: $(INSTALLED)  ## Run the tests on real SQLite and PostgreSQL databases.
	$(BIN)/pytest tests/integration

test-e2e: $(INSTALLED)  ## Run the end-to-end tests: real servers on port 0, real channels and HTTP.
	$(BIN)/pytest tests/e2e

proto: $(INSTALLED)  ## Regenerate the checked-in stubs in gen/coupon/v1 from protos/.
	$(BIN)/python scripts/generate_protos.py $(STUBS)

proto-check: $(INSTALLED)  ## Fail when the checked-in stubs differ from what protos/ generates.
	$(BIN)/python scripts/generate_protos.py --check $(STUBS)

fmt: $(INSTALLED)  ## Format the code and apply ruff's safe fixes.
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

lint: $(INSTALLED)  ## Ruff on the code, then strict mypy on the service, the client, the benchmarks and stress.
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

ci:  ## What CI runs (.ci/run): install, proto-check, lint, then the whole suite with PostgreSQL.
	bash .ci/run

bench: $(INSTALLED)  ## Measure throughput and latency against same-run ceilings (SQLite, PostgreSQL).
	$(BIN)/python -m benchmarks

bench-quick: $(INSTALLED)  ## The short benchmark (under 60 s): SQLite, short points, 100k bulk.
	$(BIN)/python -m benchmarks --quick

stress: $(INSTALLED)  ## Attack real servers (2 PostgreSQL replicas, SQLite); exit 1 on any breach (~9 min).
	$(BIN)/python -m stress

stress-quick: $(INSTALLED)  ## The same attacks with small numbers (under 30 s).
	$(BIN)/python -m stress --quick

clean:  ## Remove the virtual environment and local databases.
	rm -rf $(VENV) coupon.db coupon.db-wal coupon.db-shm .pytest_cache .mypy_cache
