# Needs nothing but Python 3.11+ and make. `make run` and `make test` create the
# environment on first use (.venv/), and again whenever pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run rehearse test lint typecheck imports pytest clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

## run: the main job on the embedded default (SQLite, outbox folder, sample content):
## the site on http://127.0.0.1:8000 and the scheduler, with the sample account holders
run: $(STAMP)
	$(BIN)/policybook check
	$(BIN)/policybook accounts import samples/accounts.csv
	$(BIN)/policybook run

## rehearse: the sample's notice timeline at chosen moments, in a scratch database and
## outbox under .policybook/rehearsal/ (the dates are those of the sample's history)
REHEARSAL := POLICYBOOK_DATABASE_URL=sqlite:///$(CURDIR)/.policybook/rehearsal/policybook.db \
	POLICYBOOK_OUTBOX=$(CURDIR)/.policybook/rehearsal/outbox
rehearse: $(STAMP)
	rm -rf .policybook/rehearsal
	$(REHEARSAL) $(BIN)/policybook accounts import samples/accounts.csv --now 2026-11-28T12:00:00Z
	$(REHEARSAL) $(BIN)/policybook run --once --now 2026-12-15T12:00:00Z
	$(REHEARSAL) $(BIN)/policybook run --once --now 2026-12-16T08:01:00Z
	$(REHEARSAL) $(BIN)/policybook plan --now 2026-12-16T09:00:00Z
	$(REHEARSAL) $(BIN)/policybook notices report terms-of-service@2027-01-15
	@echo "e-mails in the outbox:" $$(find .policybook/rehearsal/outbox -name "*.eml" | wc -l) "(.policybook/rehearsal/outbox/)"

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
