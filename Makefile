# The two set-up commands (README): `make demo` runs the main job, `make test` runs the tests.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.kittygrad-installed

.PHONY: demo test lint bench graphviz clean

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

test: $(STAMP) graphviz
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check kittygrad tests examples

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
