# Quick start: `make demo` builds the sample handouts; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck browser schemas benchmark lock clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/handout batch --out out
	@find out -name '*.pdf' | sort
	@echo "Staff catalog: out/index.html, and each clinic's own in out/<clinic>/index.html"

lint: install
	$(BIN)/ruff check handout tests benchmarks
	$(BIN)/ruff format --check handout tests benchmarks

typecheck: install
	$(BIN)/mypy

# The catalog test drives Debian's Chromium; install it where it is missing (needs root and apt).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

test: lint typecheck browser
	$(BIN)/pytest -q

schemas: install
	for kind in content clinic layout; do $(BIN)/handout schema $$kind > schemas/$$kind.schema.json; done

benchmark: install
	$(BIN)/python benchmarks/bench_build.py

# Newer dependencies, on purpose: resolve afresh what pyproject.toml allows and record it.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[test]'
	{ sed -n '/^#/p' constraints.txt; .lock-venv/bin/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .lock-venv

clean:
	rm -rf $(VENV) out
