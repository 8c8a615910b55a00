# The two set-up commands (README): `make demo` runs the main job, `make test` runs the tests.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.kittygrad-installed

.PHONY: demo test test-numerics test-numpy1 test-blas test-programs-blas test-programs-live record-programs test-random lint bench coverage graphviz docs docs-examples clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test,examples,bench,dev]"
	touch $(STAMP)

# System Graphviz renders CompGraph pictures; installed when missing and apt-get is usable.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq graphviz) >/dev/null 2>&1 || echo "note: could not install graphviz; graph rendering tests will be skipped"; \
	  else echo "note: Graphviz 'dot' not found; install it (apt-get install graphviz / brew install graphviz) to render graphs"; fi; }

demo: $(STAMP) graphviz
	$(PY) -m kittygrad.examples.demo

# pytest-xdist runs the tests on one worker per core, eight at most: a worker holds torch, kittygrad
# and the collected tests, about 0.5 GB here (`make test WORKERS=0` runs them in this process).
WORKERS ?= auto
PYTEST := $(PY) -m pytest -n $(WORKERS) --maxprocesses 8

test: $(STAMP) graphviz
	$(PYTEST)

# The tests whose numbers depend on the numerical stack (the op table, edge cases, the engine):
# CI runs them again under other configurations, so a result that holds on one BLAS build only
# shows up before it lands.
NUMERIC_TESTS ?= tests/ops tests/test_saved_fields.py tests/test_double_backward.py tests/test_ops_edge_cases.py \
	tests/test_erf_accuracy.py tests/test_linalg_singular.py tests/test_ties_and_zeros.py tests/test_engine.py \
	tests/test_views_inplace.py tests/test_higher_order.py tests/test_fast_paths.py tests/test_fast_paths_linalg.py \
	tests/test_vmap_batching.py tests/test_vmap_rows.py tests/test_random_fast_paths.py
NUMPY1 := $(VENV)/numpy-1.26

# ml_dtypes (bfloat16) is compiled against NumPy's C API: 0.6.0 is the newest whose wheels load
# under NumPy 1.26 as well, so it shadows the venv's newer one there.
$(NUMPY1)/.installed-ml-dtypes: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --target $(NUMPY1) "numpy==1.26.4" "ml_dtypes==0.6.0"
	touch $@

# (b) NumPy 1.26 (with the OpenBLAS build its wheel ships), shadowing the venv's NumPy 2.
test-numpy1: $(NUMPY1)/.installed-ml-dtypes
	PYTHONPATH=$(NUMPY1) $(PY) -c "import numpy, threadpoolctl; assert numpy.__version__ == '1.26.4', numpy.__version__; \
	  print('NumPy', numpy.__version__, [(i['internal_api'], i['version'], i.get('architecture')) for i in threadpoolctl.threadpool_info()][:1])"
	PYTHONPATH=$(NUMPY1) $(PYTEST) $(NUMERIC_TESTS)

# (c) A machine without AVX2, as far as the numbers go: OpenBLAS forced to another kernel family
# with two BLAS threads, and NumPy's own ufunc and einsum loops held to its baseline SIMD (SSE4.2;
# NumPy picks AVX2 or AVX-512 loops at run time where the CPU has them, and those may round
# differently). The PyTorch programs run here too: a printout that turns on either shows up.
NO_AVX2_ENV := NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" OPENBLAS_CORETYPE=Sandybridge OPENBLAS_NUM_THREADS=2
test-blas: $(STAMP)
	$(NO_AVX2_ENV) $(PY) -c "import numpy, threadpoolctl; \
	  from numpy._core._multiarray_umath import __cpu_dispatch__ as d, __cpu_features__ as f; \
	  assert not [k for k in d if f[k]], 'NumPy still dispatches ' + str([k for k in d if f[k]]); \
	  print('OpenBLAS', [(i['version'], i.get('architecture'), i['num_threads']) for i in threadpoolctl.threadpool_info()][:1], \
	  '| NumPy dispatch limited to the baseline')"
	$(NO_AVX2_ENV) $(PYTEST) $(NUMERIC_TESTS) tests/test_programs.py

test-numerics: test-numpy1 test-blas

# (d) The PyTorch programs of tests/programs/ under other OpenBLAS kernel families, one thread each
# (the suite runs them under the default kernels): a program whose printout turns on BLAS rounding
# (a training run that magnifies last-bit differences) fails here before another CPU finds it. Not
# in CI: about 3 minutes a family on two cores.
PROGRAM_CORETYPES ?= Sandybridge Prescott
test-programs-blas: $(STAMP)
	@for core in $(PROGRAM_CORETYPES); do \
	  echo "tests/test_programs.py under OPENBLAS_CORETYPE=$$core"; \
	  OPENBLAS_CORETYPE=$$core $(PYTEST) tests/test_programs.py || exit 1; \
	done

# The suite compares tests/programs/ with torch's recorded printouts (tests/programs/torch_output/,
# each for one text of its program and one torch); these run torch live instead, and record again
# (`make record-programs PROGRAMS="name ..."` records only those).
test-programs-live: $(STAMP)
	KITTYGRAD_PROGRAMS_TORCH=live $(PYTEST) tests/test_programs.py

PROGRAMS ?=
record-programs: $(STAMP)
	$(PY) tests/test_programs.py --record $(PROGRAMS)

# The property tests with fresh seeds and a larger budget (SCALE times CI's examples). The seed is
# printed first; `make test-random SEED=N` repeats a run exactly.
SEED ?= $(shell $(PYTHON) -c "import random; print(random.randrange(2**31))")
SCALE ?= 4
test-random: $(STAMP)
	@echo "Hypothesis seed: $(SEED) (repeat with: make test-random SEED=$(SEED) SCALE=$(SCALE))"
	@HYPOTHESIS_PROFILE=random KITTYGRAD_HYPOTHESIS_SCALE=$(SCALE) $(PY) -m pytest -m hypothesis \
	  --hypothesis-seed=$(SEED) || { echo "failed under Hypothesis seed $(SEED): make test-random SEED=$(SEED) SCALE=$(SCALE)"; exit 1; }

# The API coverage table against torch's namespaces (docs/api_coverage.md), regenerated.
coverage: $(STAMP)
	$(PY) tools/api_coverage.py

# The documentation site (mkdocs.yml): built from the code into site/, strict (a warning, a broken
# link or a public name without a docstring fails it); open site/index.html, search works offline.
DOCS_STAMP := $(VENV)/.kittygrad-docs-installed

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP) graphviz
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

# Records again the example outputs the site shows (docs/examples_output/).
docs-examples: $(DOCS_STAMP)
	$(PY) docs/hooks.py --record

bench: $(STAMP)
	$(PY) -m benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check kittygrad tests examples tools

clean:
	rm -rf $(VENV) out site .pytest_cache .hypothesis
