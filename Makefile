# Baton Pass — `make run` starts everything, `make test` checks everything. `make help` lists the rest.
SHELL := /bin/bash
BACKEND := backend
VENV := $(BACKEND)/.venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8069

.PHONY: help install run test lint typecheck pytest bench system-deps clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): $(BACKEND)/pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e "$(BACKEND)[dev]"
	@touch $(STAMP)

install: $(STAMP) ## create the virtualenv and install the server (idempotent)

system-deps: ## apt-get what the tests need when it is missing (Chromium for browser tests)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "installing chromium + chromium-driver with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

run: install ## migrate, create the dev tenant + key on first run, serve on :8069
	cd $(BACKEND) && .venv/bin/batonpass dev-bootstrap
	cd $(BACKEND) && exec .venv/bin/uvicorn app.main:app --host 127.0.0.1 --port $(PORT)

lint: install ## ruff lint + format check
	cd $(BACKEND) && .venv/bin/ruff check app tests && .venv/bin/ruff format --check app tests

typecheck: install ## mypy --strict
	cd $(BACKEND) && .venv/bin/mypy app tests

pytest: install
	cd $(BACKEND) && .venv/bin/pytest

test: install system-deps lint typecheck pytest ## install, lint, type check, run every test

bench: install ## run the benchmarks (prints figures and same-run ratios)
	$(PY) bench/handoff_create.py

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) $(BACKEND)/data
