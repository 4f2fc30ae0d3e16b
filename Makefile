# `make demo`: set up and check the bundled demo repo. `make test`: set up and run every check.
PYTHON ?= python3
VENV ?= .venv
VENV312 ?= .venv312
PY312 = $(shell scripts/find-python.sh 3.12)
# The runtime harness's tests run real torch on the CPU, in the Python 3.11 venv only: pip takes
# torch 2.13.0's CPU build (192 MB) from this machine's disk, where an unpinned torch would
# download a CUDA build of several GB. The 3.12 venv has no torch; those tests skip there.
RUNTIME_TEST_DEPS = torch==2.13.0 transformers==5.24.0 accelerate==1.15.0 peft==0.21.2 safetensors

.PHONY: demo demo-gpu test lint test-py test-312 docs clean

# Set-up prints one line; pip's own chatter (-qq) shows only when something fails.
$(VENV)/.installed: pyproject.toml
	@echo "Setting up $(VENV) (once, or after pyproject.toml changes)..."
	@$(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install -qq --upgrade pip
	@$(VENV)/bin/pip install -qq -e '.[dev]'
	@$(VENV)/bin/pip install -qq $(RUNTIME_TEST_DEPS)
	@touch $@

$(VENV312)/.installed: pyproject.toml
	@test -n "$(PY312)" || { echo "make test needs Python 3.12 (scripts/find-python.sh 3.12)"; exit 1; }
	@echo "Setting up $(VENV312) (once, or after pyproject.toml changes)..."
	@$(PY312) -m venv $(VENV312)
	@$(VENV312)/bin/pip install -qq --upgrade pip
	@$(VENV312)/bin/pip install -qq -e '.[dev]'
	@touch $@

# The demo breaks the policy on purpose: findings (exit 1) are the expected outcome.
demo: $(VENV)/.installed
	@$(VENV)/bin/blyan-lint check fixtures/demo_repo; status=$$?; test $$status -le 1

# `make demo-gpu`: replay the demo's model-related findings on a policy GPU (NVIDIA, compute
# capability 8.0+) and give each a verdict. Needs torch with CUDA: `pip install '.[runtime]'`
# into $(PYTHON) (the test venv's torch is the CPU build). Writes demo-confirm.html too.
demo-gpu:
	@$(PYTHON) -m blyan_lint confirm fixtures/demo_repo --html demo-confirm.html; status=$$?; test $$status -le 1

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/blyan-lint check --no-cache blyan_lint scripts $(wildcard benchmarks)

test-py: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -q

test-312: $(VENV312)/.installed
	$(VENV312)/bin/python -m pytest -q

test: lint test-py test-312

# Long property-based fuzzing: `make fuzz FUZZ_EXAMPLES=100000` (FUZZ_SEED picks another run).
FUZZ_EXAMPLES ?= 100000
fuzz: $(VENV)/.installed
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/python -m pytest -q -s -p no:cacheprovider tests/test_robustness_fuzz.py

docs: $(VENV)/.installed
	$(VENV)/bin/python -m blyan_lint.docs docs/rules
	$(VENV)/bin/python -m blyan_lint.report.json_schema > docs/json-schema.json

clean:
	rm -rf $(VENV) $(VENV312) .blyan_lint_cache .pytest_cache .ruff_cache .mypy_cache
