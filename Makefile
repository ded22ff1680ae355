# The README's two commands:  make run  (the whole system)  and  make test  (every test).
# Both work on a fresh clone: they create .venv and (re)install requirements-dev.txt whenever it,
# constraints.txt or any pyproject.toml changed (stamp file), and do nothing when nothing did.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEPS   := requirements-dev.txt constraints.txt \
          $(wildcard libs/*/pyproject.toml services/*/pyproject.toml gateway/pyproject.toml web/pyproject.toml)

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

.PHONY: help install run demo test unit lint bench catalogue workflows definitions clean distclean

help:
	@echo "make run        start RabbitMQ if needed, migrate, and run every service, the gateway and the admin gateway (Ctrl-C stops)"
	@echo "make demo       fill the running system (make run, in another terminal) with demo orders of every workflow and state"
	@echo "make test       every test, on real RabbitMQ and PostgreSQL (PYTEST_ARGS='-k outbox -x')"
	@echo "make unit       the unit tests only: no broker, no database, seconds (PYTEST_ARGS='-k retail')"
	@echo "make lint       ruff (lint and format check) over the whole repository; mypy (mypy.ini)"
	@echo "make bench      the benchmark (bench/run.py)"
	@echo "make install    create .venv and install every package editable, pinned by constraints.txt"
	@echo "make catalogue  regenerate docs/events.md from the contracts"
	@echo "make workflows  regenerate docs/workflows.md from the workflow files"
	@echo "make definitions regenerate deploy/rabbitmq/definitions.json from the contracts"
	@echo "make clean      remove ./data (dev databases, dev secrets) and caches; distclean also .venv"

install: $(STAMP)

$(VENV)/pyvenv.cfg:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "make: need Python 3.11+ as '$(PYTHON)' (found: $$($(PYTHON) --version 2>&1)); use: make PYTHON=python3.11 ..." >&2; exit 1; }
	@echo "creating $(VENV) with $$($(PYTHON) --version)"
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "make: '$(PYTHON) -m venv' failed; on Debian/Ubuntu: sudo apt-get install -y python3-venv" >&2; exit 1; }

$(STAMP): $(VENV)/pyvenv.cfg $(DEPS)
	@echo "installing requirements-dev.txt into $(VENV) (pins from constraints.txt)"
	$(PY) -m pip install -q --config-settings editable_mode=compat -r requirements-dev.txt
	@touch $@

run: install
	@bash tools/ensure-broker.sh
	@$(PY) tools/launch.py $(RUN_ARGS)

demo: install
	@$(PY) tools/demo.py $(DEMO_ARGS)

test: install
	@bash tools/test.sh $(PYTEST_ARGS)

unit: install
	$(VENV)/bin/pytest -q tests/unit $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: install
	@bash tools/ensure-broker.sh --management  # the bench makes a vhost of its own
	$(PY) bench/run.py $(BENCH_ARGS)

catalogue: install
	@$(PY) -m contracts.catalogue > docs/events.md.tmp || { rm -f docs/events.md.tmp; exit 1; }
	@mv docs/events.md.tmp docs/events.md
	@echo "wrote docs/events.md"

workflows: install
	@$(PY) -m orders.workflow.document > docs/workflows.md.tmp || { rm -f docs/workflows.md.tmp; exit 1; }
	@mv docs/workflows.md.tmp docs/workflows.md
	@echo "wrote docs/workflows.md"

definitions: install
	@mkdir -p deploy/rabbitmq
	@EVENT_RETRY_DELAYS_MS= $(PY) -m chassis.topology --definitions > deploy/rabbitmq/definitions.json.tmp || { rm -f deploy/rabbitmq/definitions.json.tmp; exit 1; }
	@mv deploy/rabbitmq/definitions.json.tmp deploy/rabbitmq/definitions.json
	@echo "wrote deploy/rabbitmq/definitions.json"

clean:
	rm -rf data .pytest_cache .hypothesis bench/results
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) libs/*/*.egg-info services/*/*.egg-info gateway/*.egg-info web/*.egg-info
