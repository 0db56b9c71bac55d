# The index of commands. Every target installs what it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PROTOS := $(wildcard protos/coupon/v1/*.proto)

.PHONY: help install run test test-fast proto proto-check lint bench clean

help:            ## List the commands.
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)  ## Create .venv and install the service with its dev tools.

run: $(INSTALLED)  ## Serve gRPC on 127.0.0.1:50051 and REST on :8080 with the demo data.
	$(BIN)/coupon-service serve --demo

test: $(INSTALLED)  ## Run the whole suite: unit, SQLite, PostgreSQL and end-to-end.
	$(BIN)/pytest

test-fast: $(INSTALLED)  ## Run the unit tests only.
	$(BIN)/pytest tests/unit

proto: $(INSTALLED)  ## Regenerate the checked-in stubs in coupon/v1 from protos/.
	$(BIN)/python scripts/generate_protos.py coupon

proto-check: $(INSTALLED)  ## Fail when the checked-in stubs differ from what protos/ generates.
	$(BIN)/python scripts/generate_protos.py --check coupon

lint: $(INSTALLED)  ## Ruff on the code, then strict mypy on the service and the client.
	$(BIN)/ruff check coupon_service clients tests scripts
	$(BIN)/ruff format --check coupon_service clients tests scripts
	$(BIN)/mypy

bench: $(INSTALLED)  ## Measure issue throughput and latency on SQLite and PostgreSQL.
	$(BIN)/python -m benchmarks.issue_bench

clean:  ## Remove the virtual environment and local databases.
	rm -rf $(VENV) coupon.db coupon.db-wal coupon.db-shm .pytest_cache .mypy_cache
