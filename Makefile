# One entry point for every habit. `make run` and `make test` set up a virtual environment on
# their own: .venv for the default python3, .venv-3.12 for `make test PYTHON=python3.12`, and
# so on, so each supported Python keeps its own and switching between them rebuilds nothing.
PYTHON ?= python3
SUPPORTED_PYTHONS := 3.11 3.12 3.13
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV ?= $(if $(filter file,$(origin PYTHON)),.venv,.venv-$(PYTHON_VERSION))
BIN := $(VENV)/bin
COVERAGE_GATE := 98
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-run run lint check test fuzz compat bench docs clean

# Each stamp is written only after its install succeeded, so a failed or interrupted set-up is
# simply redone by the next command. The venv itself counts only once `.created` exists: a venv
# left half-made (say, pip could not be upgraded) is removed and made again.
define make_venv
	@case " $(SUPPORTED_PYTHONS) " in *" $(PYTHON_VERSION) "*) ;; *) \
		echo "minifast needs Python 3.11, 3.12 or 3.13; '$(PYTHON)' is" \
			"$(if $(PYTHON_VERSION),$(PYTHON_VERSION),not a runnable Python)." \
			"Pass one that is, e.g.: make $(MAKECMDGOALS) PYTHON=python3.12" >&2; exit 1;; esac
	@test -f $(VENV)/.created || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV) \
		&& $(BIN)/python -m pip install --quiet --upgrade pip && touch $(VENV)/.created; } \
		|| { rm -rf $(VENV); echo "setting up $(VENV) failed; it was removed" >&2; exit 1; }
endef

# What serving needs: uvicorn and the offline docs assets.
$(VENV)/.installed-run: pyproject.toml
	$(make_venv)
	$(BIN)/python -m pip install --quiet -e ".[serve,docs]"
	touch $@

# The whole dev toolchain: linters, type checker, test runner, FastAPI for the differential tests.
$(VENV)/.installed-dev: pyproject.toml
	$(make_venv)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-run

install-run: $(VENV)/.installed-run

install: $(VENV)/.installed-dev

run: install-run
	$(BIN)/minifast run examples/main.py --host $(HOST) --port $(PORT)

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
	rm -rf .venv .venv-* .cache .coverage .mypy_cache .ruff_cache
