# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONUNBUFFERED := 1

.PHONY: demo test lint bench clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[all]"
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@ $(STAMP_RUN)

# The main job: every task trained briefly on data that needs no network, evaluated, exported.
DEMOS := sentiment embeddings-glove ner-sample chargen-names music-bach translate-dates

demo: $(STAMP_RUN)
	@set -e; for d in $(DEMOS); do \
	  echo "==> nlpkit run pipelines/$$d.toml"; \
	  $(BIN)/nlpkit run pipelines/$$d.toml --summary saved_models/$$d-summary.json; \
	done
	@echo "SavedModels written under saved_models/; run summaries in saved_models/*-summary.json"

# The demo-page test drives Debian's chromium through playwright (never `playwright install`).
# Installed here when missing and we may (root, or passwordless sudo); otherwise the test skips.
CHROMIUM ?= /usr/bin/chromium

browser:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then echo "note: no apt-get; browser test will skip"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get install -y -q chromium >/dev/null || echo "note: chromium not installed; browser test will skip"; \
	elif sudo -n true 2>/dev/null; then sudo apt-get install -y -q chromium >/dev/null || echo "note: chromium not installed; browser test will skip"; \
	else echo "note: $(CHROMIUM) missing and no root/sudo; browser test will skip"; fi

# Lint first, so a change that breaks the house style fails before the long test run.
# Two pytest-xdist workers, one test file each at a time (module-scoped fitted pipelines are
# fitted once); `make test XDIST=` runs in one process.
XDIST ?= -n 2 --dist loadfile
test: lint browser
	$(BIN)/python -m pytest -q $(XDIST)

lint: $(STAMP_DEV)
	$(BIN)/ruff check nlpkit tests benchmarks setup.py conftest.py
	$(BIN)/ruff format --check nlpkit tests benchmarks setup.py conftest.py

clean:
	rm -rf $(VENV) saved_models/*/ .pytest_cache
