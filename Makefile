# Ticketing platform: developer entry points. GNU make 4.3+.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin

# Python 3.13 detection. A pyenv shim named python3.13 may be on PATH and still fail
# ("pyenv: python3.13: command not found"), so a candidate counts only if it runs.
# Order: python3.13 on PATH, then the highest $(pyenv root)/versions/3.13*/bin/python3.13.
# Override with `make PYTHON=/path/to/python3.13 ...`.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell \
	if command -v python3.13 >/dev/null 2>&1 && python3.13 -c 'import sys' >/dev/null 2>&1; then \
		command -v python3.13; \
	else \
		root=$$(pyenv root 2>/dev/null || echo "$${PYENV_ROOT:-$$HOME/.pyenv}"); \
		for p in $$(ls -d "$$root"/versions/3.13*/bin/python3.13 2>/dev/null | sort -V -r); do \
			if "$$p" -c 'import sys' >/dev/null 2>&1; then echo "$$p"; break; fi; \
		done; \
	fi)
endif

# The install stamp is named after pyproject.toml's hash: an unchanged pyproject means
# no pip run at all, so repeated `make test` starts in seconds.
PYPROJECT_SHA := $(shell sha256sum pyproject.toml 2>/dev/null | cut -c1-16)
STAMP := $(VENV)/.installed-$(PYPROJECT_SHA)

.PHONY: help install browser wrk run test test-all reliability bench bench-quick bench-spike lint format clean

help: ## List the targets
	@echo "Usage: make <target>"
	@echo
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-10s %s\n", $$1, $$2}'
	@echo
	@echo "Python: $(if $(PYTHON),$(PYTHON),not found (pass PYTHON=/path/to/python3.13))"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then \
		echo "Python 3.13 not found: install it (e.g. pyenv install 3.13) or pass PYTHON=/path/to/python3.13" >&2; \
		exit 1; \
	fi
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	rm -f $(VENV)/.installed-*
	$(BIN)/pip install --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(STAMP) ## Create .venv and install the project with its dev extras

# The browser tests (tests/e2e) drive Debian's Chromium through Playwright. Installed
# only when missing, and only as root; otherwise they are skipped, and this says why.
CHROMIUM := /usr/bin/chromium
browser: ## Install Debian's chromium for the browser tests if it is missing (as root)
	@if [ -x "$(CHROMIUM)" ] || [ -n "$$CHROMIUM_PATH" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "No $(CHROMIUM): the browser tests (tests/e2e) will be SKIPPED." \
			"Install it as root: apt-get install -y chromium (or set CHROMIUM_PATH)" >&2; \
		exit 0; \
	fi; \
	echo "Installing Debian's chromium for the browser tests (tests/e2e)"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } || \
		echo "apt-get could not install chromium: the browser tests will be SKIPPED" >&2

# `make bench` drives the HTTP load with Debian's wrk (a C load generator). Installed
# only when missing, and only as root; otherwise the bench falls back to the slower
# Python generator, and this says why.
WRK := $(or $(WRK_PATH),$(shell command -v wrk 2>/dev/null),/usr/bin/wrk)
wrk: ## Install Debian's wrk for the HTTP benchmark if it is missing (as root)
	@if [ -x "$(WRK)" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "No wrk: make bench will use the Python load generator (a few thousand" \
			"requests/s at most, so it may measure itself). Install it as root: apt-get install -y wrk" >&2; \
		exit 0; \
	fi; \
	echo "Installing Debian's wrk for the HTTP benchmark"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y -q wrk >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; } || \
		echo "apt-get could not install wrk: make bench will use the Python load generator" >&2

run: $(STAMP) ## Serve on http://127.0.0.1:8000 (docs at /docs): API_PROCESSES processes, one Ray head, MongoDB, SMTP, localstripe
	$(BIN)/python -m api

test: $(STAMP) browser ## Run the test suite, without the slow (soak/fault) tests
	$(BIN)/pytest -m "not slow"

test-all: $(STAMP) browser ## Run every test, slow ones included
	$(BIN)/pytest

# The fault and abuse suites, slow tests included; writes docs/reliability.md (commit it).
RELIABILITY_SUITES ?= $(wildcard tests/faults tests/abuse)
reliability: $(STAMP) ## Run the fault and abuse suites (slow included), write docs/reliability.md
	RELIABILITY_REPORT=1 $(BIN)/pytest $(RELIABILITY_SUITES)

# API_PROCESSES (default: one per core) is the process count of every server the bench
# starts: our API, the bare FastAPI ceiling and the PostgreSQL baseline alike.
bench: $(STAMP) wrk ## Run the benchmarks (wrk); writes bench/results/latest.json
	$(BIN)/python -m bench

bench-quick: $(STAMP) wrk ## A shorter benchmark (50,000-seat events, 8 s runs; a minute or two)
	BENCH_PROFILE=quick $(BIN)/python -m bench

bench-spike: $(STAMP) wrk ## The on-sale spike: 70,000 seats, 20,000 buyers within 10 s (wrk drives them)
	$(BIN)/python -m bench.spike

# mypy reads its file list and settings from pyproject.toml ([tool.mypy]); its cache
# (.mypy_cache) makes a re-run after a small edit take seconds.
lint: $(STAMP) ## Check lint and formatting with ruff, then types with mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## Remove .venv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis build dist *.egg-info
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
