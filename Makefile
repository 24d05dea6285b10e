# OpenIRU: `make demo` runs the demo on SQLite, `make test` runs every check.
# Both create .venv and install what is needed on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test check lint typecheck pytest services chromium video ocr pdf clean bench

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m compileall -q src/openiru >/dev/null  # bytecode, as a wheel install writes it
	touch $(STAMP)

demo: venv
	$(VENV)/bin/openiru demo --out demo-data --db sqlite:///demo-data/openiru.db

lint: venv
	$(VENV)/bin/ruff format --check src tests $(wildcard benchmarks) scripts
	$(VENV)/bin/ruff check src tests $(wildcard benchmarks) scripts
	$(VENV)/bin/lint-imports

typecheck: venv
	$(VENV)/bin/mypy src/openiru

pytest: venv services chromium video ocr pdf
	$(VENV)/bin/pytest; rc=$$?; if [ $$rc -eq 5 ]; then rc=0; fi; exit $$rc

# PostgreSQL and NATS (the worker tests start their own nats-server -js; Debian's package if missing).
services:
	command -v nats-server >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nats-server; } \
	  || echo 'nats-server could not be installed: the NATS worker tests will be skipped'
	bash scripts/services.sh

# The browser tests drive Debian's Chromium (Playwright never downloads a browser).
chromium:
	test -x /usr/bin/chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } \
	  || echo 'chromium could not be installed: the browser tests will be skipped'

# Video hashing (vPDQ): Debian's ffmpeg, and Meta's vpdq built against FFmpeg's libav* headers.
video: venv
	{ test -x /usr/bin/ffmpeg && pkg-config --exists libavcodec libavformat libswscale; } || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ffmpeg \
	  cmake pkg-config libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavdevice-dev; } \
	  || echo 'ffmpeg could not be installed: videos are matched by MD5 only, the video tests will be skipped'
	$(PY) -c 'import vpdq' 2>/dev/null || $(PY) -m pip install -q 'vpdq>=0.2.5' \
	  || echo 'vpdq could not be built: videos are hashed by ffmpeg + pdqhash (same features)'

# Text in images (OCR): Debian's Tesseract with the language data the unit reads; pytesseract is a dependency.
ocr: venv
	{ test -x /usr/bin/tesseract && test -n "$$(ls /usr/share/tesseract-ocr/*/tessdata/ara.traineddata 2>/dev/null)"; } || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	  tesseract-ocr tesseract-ocr-eng tesseract-ocr-ara tesseract-ocr-fas tesseract-ocr-urd tesseract-ocr-pus \
	  tesseract-ocr-rus tesseract-ocr-tur tesseract-ocr-fra tesseract-ocr-deu fonts-dejavu-core; } \
	  || echo 'Tesseract could not be installed: text in images is not read, the OCR tests will be skipped'

# Report PDFs through WeasyPrint (Debian's Pango); without it `openiru report --pdf` uses fpdf2.
pdf: venv
	ldconfig -p | grep -q libpangoft2-1.0 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0; } \
	  || echo 'libpango could not be installed: report PDFs are laid out by fpdf2'
	$(PY) -c 'import weasyprint' 2>/dev/null || $(PY) -m pip install -q -e '.[pdf]' || echo 'WeasyPrint could not be installed: report PDFs are laid out by fpdf2'

test: lint typecheck pytest

# The quick loop while working: format, lint, types, layers and the tests not marked slow, in parallel.
# `make test` stays the full suite (what .ci/run runs).
check: venv
	$(VENV)/bin/ruff format --check src tests $(wildcard benchmarks) scripts
	$(VENV)/bin/ruff check src tests $(wildcard benchmarks) scripts
	$(VENV)/bin/mypy src/openiru
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -m "not slow" -n auto -p no:cacheprovider; rc=$$?; if [ $$rc -eq 5 ]; then rc=0; fi; exit $$rc

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-data
