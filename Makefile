# sciml: two commands on a fresh machine — `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch must be pinned: this version is a CPU wheel on local disk; any other
# request pulls a multi-GB CUDA build.
TORCH  ?= torch==2.13.0
EXTRAS ?= jax,torch,chaos,fem,hpc,dev,docs
STAMP  := $(VENV)/.installed

.PHONY: venv demo test lint typecheck pytest bench docs clean test-fenics

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

# FEniCSx: Debian's python3-dolfinx (needs root for apt) in a venv that sees the
# system packages; petsc4py is built against numpy 1.x, so numpy stays below 2.
FENICS_VENV ?= .venv-fenics
FENICS_PIP  := "numpy>=1.26,<2" "numba>=0.59" "scipy>=1.11" "xarray>=2024.6" \
               "pydantic>=2.5" "scikit-fem>=10" "meshio>=5" pytest hypothesis
# warnings raised inside Debian's dolfinx 0.5 toolchain (ffcx's JIT), not in sciml
FENICS_WARN := -W 'ignore:`product` is deprecated:DeprecationWarning' \
               -W 'ignore:unclosed file:ResourceWarning' \
               -W 'ignore::pytest.PytestUnraisableExceptionWarning'

test-fenics:
	/usr/bin/python3 -c "import dolfinx" 2>/dev/null || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-dolfinx; }
	test -x $(FENICS_VENV)/bin/python || /usr/bin/python3 -m venv --system-site-packages $(FENICS_VENV)
	$(FENICS_VENV)/bin/python -m pip install --quiet $(FENICS_PIP)
	PYTHONPATH=. $(FENICS_VENV)/bin/python -m pytest -p no:cacheprovider -p no:logging \
	  $(FENICS_WARN) tests/solvers/fem

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) site sciml-demo .pytest_cache .mypy_cache .ruff_cache
