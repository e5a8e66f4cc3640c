# The README's two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: demo test lint typecheck docs bench example wheel clean graphviz page-tools

$(VENV)/.base:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.test: $(VENV)/.base pyproject.toml
	$(PIP) install -q -e '.[test,scipy]'
	touch $@

$(VENV)/.bench: $(VENV)/.base pyproject.toml
	$(PIP) install -q -e '.[bench]'
	touch $@

$(VENV)/.examples: $(VENV)/.base pyproject.toml
	$(PIP) install -q -e '.[examples]'
	touch $@

# Graphviz's `dot` renders the graph pictures; install it where it is missing and we may.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq graphviz >/dev/null) \
	      || echo "note: could not install graphviz; SVG/PNG tests will be skipped"; \
	  else echo "note: graphviz's dot is missing; SVG/PNG tests will be skipped"; fi; }

# Chromium runs the interactive page's tests (through Playwright); pdflatex and pdftoppm
# compile the LaTeX test's output and look at it. Installed where missing and we may.
PAGE_TOOLS := chromium pdflatex pdftoppm
page-tools:
	@missing=; for t in $(PAGE_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq chromium texlive-latex-base \
	      texlive-latex-recommended poppler-utils >/dev/null) \
	      || echo "note: could not install$$missing; the page/LaTeX tests that need them will be skipped"; \
	  else echo "note:$$missing missing; the page/LaTeX tests that need them will be skipped"; fi; fi

demo: $(VENV)/.base graphviz
	$(VENV)/bin/chainrule demo

lint: $(VENV)/.test
	$(VENV)/bin/ruff check src tests benchmarks examples

# The suite with branch coverage (report: modules below 100%), the 100% gate on the
# modules pyproject.toml's [tool.chainrule.coverage-gate] lists, and the docs build.
typecheck: $(VENV)/.test
	$(VENV)/bin/mypy

test: $(VENV)/.test graphviz page-tools lint typecheck
	$(PY) -m pytest --cov=chainrule --cov-branch --cov-report=term-missing:skip-covered
	$(PY) tests/coverage_gate.py
	$(MAKE) --no-print-directory docs

# The site (guides + API reference from the docstrings) into site/; warnings are errors.
docs: $(VENV)/.test
	$(VENV)/bin/mkdocs build --strict --quiet

bench: $(VENV)/.bench
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m benchmarks

# The digits classifier; its curves go to the system's temp folder (ARGS="--out FILE").
example: $(VENV)/.examples
	$(PY) examples/digits.py $(ARGS)

# A wheel in dist/, to `pip install dist/chainrule-*.whl` into any environment or notebook.
wheel: $(VENV)/.base
	$(PIP) wheel -q --no-deps --no-build-isolation -w dist .
	@ls dist/*.whl

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info site .coverage
