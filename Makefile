# Baton Pass — `make run` starts everything, `make test` checks everything. `make help` lists the rest.
SHELL := /bin/bash
BACKEND := backend
VENV := $(BACKEND)/.venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8069
SDK := sdk/python
FRONTEND := frontend
NPM_STAMP := $(FRONTEND)/node_modules/.installed
FRONTEND_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/public -type f 2>/dev/null) \
	$(FRONTEND)/index.html $(FRONTEND)/vite.config.ts $(FRONTEND)/tsconfig.json

.PHONY: help install run test lint typecheck pytest bench system-deps clean
.PHONY: frontend-install frontend-build frontend-test e2e bench-mobile sdk detectors-sync demo

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): $(BACKEND)/pyproject.toml $(SDK)/pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e "$(BACKEND)[dev]"
	$(PY) -m pip install --quiet -e "$(SDK)[playwright]" --config-settings editable_mode=compat
	@touch $(STAMP)

install: $(STAMP) ## create the virtualenv and install the server (idempotent)

$(NPM_STAMP): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	@touch $(NPM_STAMP)

frontend-install: $(NPM_STAMP) ## install the mobile PWA's npm packages (idempotent)

$(FRONTEND)/dist/index.html: $(NPM_STAMP) $(FRONTEND_SOURCES)
	cd $(FRONTEND) && npm run build

frontend-build: $(FRONTEND)/dist/index.html ## build the mobile PWA into frontend/dist (the backend serves it at /m/…)

frontend-test: frontend-install ## type-check the PWA and run its unit tests (vitest)
	cd $(FRONTEND) && npx tsc --noEmit && npx vitest run

e2e: install system-deps frontend-build ## browser tests: live backend + the built PWA in headless Chromium at phone size
	cd $(BACKEND) && .venv/bin/pytest ../e2e

system-deps: ## apt-get what the tests need when it is missing (Chromium for browser tests)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "installing chromium + chromium-driver with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

run: install frontend-build ## migrate, bootstrap the dev tenant; API + PWA on :8069, PWA dev server on :3074
	cd $(BACKEND) && .venv/bin/batonpass dev-bootstrap
	(cd $(FRONTEND) && exec node_modules/.bin/vite --clearScreen false) & VITE_PID=$$!; \
	trap 'kill $$VITE_PID 2>/dev/null' EXIT; \
	cd $(BACKEND) && .venv/bin/uvicorn app.main:app --host 127.0.0.1 --port $(PORT)

lint: install ## ruff lint + format check
	cd $(BACKEND) && .venv/bin/ruff check app tests && .venv/bin/ruff format --check app tests
	cd $(BACKEND) && .venv/bin/ruff check ../e2e && .venv/bin/ruff format --check ../e2e
	cd $(BACKEND) && .venv/bin/ruff check --config pyproject.toml ../bench \
		&& .venv/bin/ruff format --check --config pyproject.toml ../bench

typecheck: install ## mypy --strict
	cd $(BACKEND) && .venv/bin/mypy app tests
	cd $(BACKEND) && MYPYPATH=../e2e .venv/bin/mypy --explicit-package-bases ../e2e ../bench/mobile_tap_latency.py

pytest: install
	cd $(BACKEND) && .venv/bin/pytest

test: install system-deps lint typecheck pytest sdk frontend-test e2e ## install, lint, type check, run every test

sdk: install system-deps ## the Python SDK: ruff, mypy --strict, its tests (detectors in Chromium); e2e/sdk runs in `make e2e`
	cd $(SDK) && ../../$(VENV)/bin/ruff check . && ../../$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check examples && $(VENV)/bin/ruff format --check examples
	cd $(SDK) && ../../$(VENV)/bin/mypy batonpass tests
	MYPYPATH=e2e:$(BACKEND) $(VENV)/bin/mypy --config-file $(SDK)/pyproject.toml examples
	cd $(SDK) && ../../$(VENV)/bin/pytest

detectors-sync: ## copy detectors/ (the one signature table + evaluator) into the Python SDK's package data
	cp detectors/signatures.json detectors/evaluator.js $(SDK)/batonpass/_data/

demo: install system-deps frontend-build ## your phone as the operator: backend on the LAN, fixture site, agent; prints a QR code
	$(PY) examples/demo.py --port $(PORT)

bench: install ## run every bench/*.py (figures + same-run ceilings); PostgreSQL too with BATONPASS_BENCH_POSTGRES_URL
	@for script in bench/[a-z]*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

bench-mobile: install system-deps frontend-build ## tap → agent's Chromium → frame on the phone: p50/p99 vs the bare relay
	$(PY) bench/mobile_tap_latency.py --taps 100

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) $(BACKEND)/data
