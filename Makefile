# The book's two commands: `make book` and `make test`. Both create .venv and install what they need.
#   make book          execute the chapters (cached) and build the site into _build/html
#   make test          everything CI checks: unit tests, chapters under nbval, the site, the PDF, the browser, Colab path
#   make full          execute every chapter in the `full` profile (a GPU machine) with nbval
#   make colab         run every generated notebook end to end as on Colab (clean venv, wheel); not in `make test`
#   make pdf           the whole book as one PDF (_build/html/mlbook.pdf) from the executed chapters; needs chromium
# TORCH_SPEC (and TORCH_INDEX, e.g. --index-url https://download.pytorch.org/whl/cpu) choose the torch build;
# .ci/run sets torch==2.13.0, the CPU build on its disk. A reader with a GPU keeps the default range and
# gets the CUDA build pip picks.

PYTHON ?= python3
TORCH_SPEC ?= torch>=2.2,<3
TORCH_INDEX ?=
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JB_FLAGS := -W -n --keep-going
# One thread for torch and BLAS: the numbers then match on any core count (and the chapters were calibrated so).
NBVAL := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -p booktools.nbval_md --nbval-lax --nbval-cell-timeout=600 -q chapters

.PHONY: book test unit notebooks site site-check pdf full colab clean help
.DEFAULT_GOAL := help

help:
	@sed -n '1,9p' Makefile

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)" $(TORCH_INDEX)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

book: $(STAMP)
	$(BIN)/python -m booktools.cachekey
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "The book is built: open $(CURDIR)/_build/html/index.html"

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests --ignore=tests/site

# Executes each chapter once, in the quick profile; the outputs go to the cache that `site` reads.
notebooks: $(STAMP)
	MLBOOK_PROFILE=quick $(BIN)/python -m booktools.cachekey
	MLBOOK_PROFILE=quick $(NBVAL) --durations=0

site: notebooks
	MLBOOK_PROFILE=quick $(MAKE) --no-print-directory book

site-check: $(STAMP)
	$(BIN)/python -m pytest -q tests/site

# The whole book as one PDF (booktools.pdf): Jupyter Book's single-page build printed by Debian's chromium, offline.
# It reads the chapters' outputs from the cache that `notebooks`/`site` (or `full`) wrote and executes nothing: it
# stops with a message if a chapter is missing from the cache or the cache is stale.
pdf: $(STAMP)
	$(BIN)/python -m booktools.pdf

test: unit site pdf site-check

# The key first (it lives inside the cache), so that a `make book` in the same profile afterwards reuses every chapter.
full: $(STAMP)
	MLBOOK_PROFILE=full $(BIN)/python -m booktools.cachekey
	MLBOOK_PROFILE=full $(NBVAL) --durations=0

# Every generated notebook, whole, in `quick`, in the Colab-like clean environment (booktools.colab): the build
# exports them (it executes only chapters the cache lacks), then each runs outside the checkout. Per-chapter times.
colab: $(STAMP)
	MLBOOK_PROFILE=quick $(MAKE) --no-print-directory book
	$(BIN)/python -m booktools.colab

clean:
	rm -rf _build dist build code/*.egg-info
