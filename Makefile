# Needs nothing but Python 3.11+ and make. `make run` and `make test` create the
# environment on first use (.venv/), and again whenever pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run rehearse test lint typecheck imports pytest clean

# After installing: the modules compiled and the data files parsed, as an installed
# package has them (where PYTHONDONTWRITEBYTECODE is set, each command would redo both).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m compileall -q policybook
	$(BIN)/python -m policybook.packaged
	touch $(STAMP)

## run: the main job on the embedded default (SQLite, outbox folder, sample content):
## the sample is played into a demo repository dated from today (.policybook/demo/),
## then the site on http://127.0.0.1:8000 and the scheduler, with the sample accounts
DEMO := .policybook/demo
run: $(STAMP)
	$(BIN)/policybook demo $(DEMO) --replace
	$(BIN)/policybook -C $(DEMO) check
	$(BIN)/policybook -C $(DEMO) accounts import samples/accounts.csv
	$(BIN)/policybook -C $(DEMO) run

## rehearse: the demo's notice timeline at chosen moments, in a scratch copy under
## .policybook/rehearsal/ (the day before the notice is due, the due moment, the plan)
rehearse: $(STAMP)
	$(BIN)/python samples/rehearse.py

## test: lint, type-check, the import contract (the layers) and the whole test suite
test: lint typecheck imports pytest

lint: $(STAMP)
	$(BIN)/ruff check policybook tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

## imports: the layers (pyproject.toml [tool.importlinter]): core <- git, store, mail <-
## workflows <- site, scheduler <- wiring <- CLI
imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
