# make demo: set up and run the whole pipeline.  make test: the test suite.  make bench: benchmarks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# torch is pinned to the local CPU build in every install path (also inside pip's build environments).
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt

.PHONY: venv demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

# Data: the lookup order of DESIGN.md, and a download into ./data when nothing is found.
demo: $(STAMP)
	$(BIN)/digitfusion data verify || $(BIN)/digitfusion data fetch
	$(BIN)/digitfusion demo --config demo --out runs/demo
	$(BIN)/digitfusion export --run runs/demo --out model

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .cache runs

# Benchmarks (not tests): needs `make demo` first for the exported model.
bench: $(STAMP)
	$(BIN)/python bench/run.py
