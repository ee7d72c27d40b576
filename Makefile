# sciml: two commands on a fresh machine — `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch must be pinned: this version is a CPU wheel on local disk; any other
# request pulls a multi-GB CUDA build.
TORCH  ?= torch==2.13.0
EXTRAS ?= jax,torch,chaos,fem,hpc,dev,docs
STAMP  := $(VENV)/.installed

.PHONY: venv demo test lint typecheck pytest bench docs clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]" "$(TORCH)"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sciml demo --output sciml-demo

lint: $(STAMP)
	$(BIN)/ruff check gpu solvers sciml tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy gpu solvers sciml

pytest: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test: lint typecheck pytest

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) site sciml-demo .pytest_cache .mypy_cache .ruff_cache
