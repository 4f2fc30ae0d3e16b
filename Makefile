# `make demo`: set up and check the bundled demo repo. `make test`: set up and run every check.
PYTHON ?= python3
VENV ?= .venv
VENV312 ?= .venv312
PY312 = $(shell scripts/find-python.sh 3.12)

.PHONY: demo test lint test-py test-312 docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

$(VENV312)/.installed: pyproject.toml
	@test -n "$(PY312)" || { echo "make test needs Python 3.12 (scripts/find-python.sh 3.12)"; exit 1; }
	$(PY312) -m venv $(VENV312)
	$(VENV312)/bin/pip install --quiet --upgrade pip
	$(VENV312)/bin/pip install --quiet -e '.[dev]'
	touch $@

# The demo breaks the policy on purpose: findings (exit 1) are the expected outcome.
demo: $(VENV)/.installed
	@$(VENV)/bin/blyan-lint check fixtures/demo_repo; status=$$?; test $$status -le 1

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/blyan-lint check --no-cache blyan_lint scripts $(wildcard benchmarks)

test-py: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -q

test-312: $(VENV312)/.installed
	$(VENV312)/bin/python -m pytest -q

test: lint test-py test-312

docs: $(VENV)/.installed
	$(VENV)/bin/python -m blyan_lint.docs docs/rules
	$(VENV)/bin/python -m blyan_lint.report.json_schema > docs/json-schema.json

clean:
	rm -rf $(VENV) $(VENV312) .blyan_lint_cache .pytest_cache .ruff_cache
