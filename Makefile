# Quick start: `make demo` builds the sample handouts; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck schemas benchmark clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	@$(BIN)/python -m handout list --json | $(BIN)/python -c 'import json, sys; d = json.load(sys.stdin); \
	[print(t, l, c, y) for t in d["topics"] for l in d["languages"] for c in d["clinics"] for y in d["layouts"]]' | \
	while read topic lang clinic layout; do \
		$(BIN)/handout build --topic $$topic --lang $$lang --clinic $$clinic --layout $$layout 2>/dev/null || exit 1; \
	done

lint: install
	$(BIN)/ruff check handout tests benchmarks
	$(BIN)/ruff format --check handout tests benchmarks

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -q

schemas: install
	for kind in content clinic layout; do $(BIN)/handout schema $$kind > schemas/$$kind.schema.json; done

benchmark: install
	$(BIN)/python benchmarks/bench_build.py

clean:
	rm -rf $(VENV) out
