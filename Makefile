# OpenIRU: `make demo` runs the demo on SQLite, `make test` runs every check.
# Both create .venv and install what is needed on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint typecheck pytest services chromium clean bench

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: venv
	$(VENV)/bin/openiru demo --out demo-data --db sqlite:///demo-data/openiru.db

lint: venv
	$(VENV)/bin/ruff check src tests $(wildcard benchmarks)
	$(VENV)/bin/lint-imports

typecheck: venv
	$(VENV)/bin/mypy src/openiru/model.py src/openiru/interactions.py src/openiru/detect src/openiru/graph src/openiru/referral

pytest: venv services chromium
	$(VENV)/bin/pytest; rc=$$?; if [ $$rc -eq 5 ]; then rc=0; fi; exit $$rc

services:
	bash scripts/services.sh

# The browser tests drive Debian's Chromium (Playwright never downloads a browser).
chromium:
	test -x /usr/bin/chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } \
	  || echo 'chromium could not be installed: the browser tests will be skipped'

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-data
