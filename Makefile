# One entry point for every habit. `make run` and `make test` set up .venv on their own.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COVERAGE_GATE := 98
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run lint check test fuzz compat bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/uvicorn examples.main:app --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff format minifast examples tests benchmarks
	$(BIN)/ruff check --fix minifast examples tests benchmarks

check: install
	$(BIN)/ruff format --check minifast examples tests benchmarks
	$(BIN)/ruff check minifast examples tests benchmarks
	$(BIN)/mypy minifast examples

test: check
	$(BIN)/python -m pytest --cov=minifast --cov-branch --cov-report=term \
		--cov-fail-under=$(COVERAGE_GATE) $(PYTEST_ARGS)

# The property tests and schemathesis runs of `make test`, with 25x the examples (fixed seeds).
FUZZ_EXAMPLES ?= 100
fuzz: install
	MINIFAST_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q \
		tests/test_fuzz_requests.py tests/test_fuzz_openapi.py tests/test_hostile_inputs.py

# FastAPI 0.163.2's own test suite on minifast (fetched at run time into .cache/compat, with a
# venv of its own). COMPAT_ARGS=--baseline records which tests pass on FastAPI itself.
compat: install
	$(BIN)/python -m tests.compat $(COMPAT_ARGS)

# In-process, end-to-end (needs `wrk`: apt-get install wrk; skipped without it) and start-up
# harnesses against FastAPI, ~3 min; writes benchmarks/RESULTS.md and benchmarks/results.png.
bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .cache .coverage .mypy_cache .ruff_cache
