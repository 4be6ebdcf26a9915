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

demo: $(STAMP)
	$(BIN)/digitfusion data verify
	$(BIN)/digitfusion split --strategy official
	$(BIN)/digitfusion split --strategy speaker --holdout theo
	$(BIN)/digitfusion split --strategy random --seed 0
	$(BIN)/digitfusion features

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .cache runs
