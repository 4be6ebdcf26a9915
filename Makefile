# make demo: set up and run the whole pipeline.  make test: the test suite.  make bench: benchmarks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# torch is pinned to the local CPU build in every install path (also inside pip's build environments).
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt

.PHONY: venv sysdeps demo model test lint bench clean notebook
# System packages the tests need: Debian chromium (web app test) and espeak-ng (synthesised voices).
SYSTEM_PACKAGES := chromium espeak-ng
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[train,dev]"
	touch $(STAMP)

venv: $(STAMP)

sysdeps:
	@command -v chromium >/dev/null && command -v espeak-ng >/dev/null || \
	  ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES))

# Data: the lookup order of DESIGN.md, and a download into ./data when nothing is found.
demo: $(STAMP)
	$(BIN)/digitfusion data verify || $(BIN)/digitfusion data fetch
	$(BIN)/digitfusion demo --config demo --out runs/demo
	$(BIN)/digitfusion export --run runs/demo --out model

# The model shipped in the package (src/digitfusion/pretrained/): the recipe of export/pretrained.py (the registry's
# default fusion, concat, over the image CNN and the speech-embedding head, at size `people`, official protocol, seed 0,
# every corpus and the espeak-ng training voices,
# generated once, ~3 min) trained into runs/shipped (reused when current) and exported there with its calibration;
# its card records the recipe's hash. About 20 minutes on 2 cores (the speech embedding of every clip, ~6, then
# the fusion, which recomputes it for its noise augmentation).
model: $(STAMP) sysdeps
	$(BIN)/digitfusion data verify || $(BIN)/digitfusion data fetch
	$(BIN)/digitfusion data fetch --corpus synthetic
	$(BIN)/digitfusion export --run runs/shipped --pretrained

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) sysdeps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .cache runs

# The lab as a notebook (it reads runs/demo when `make demo` wrote it, else runs the tiny pipeline itself).
notebook: $(STAMP)
	$(BIN)/jupyter lab notebooks/lab.ipynb

# Benchmarks (not tests): a fresh demo run (timed), its exported model (latency), the seed pipeline, features.
bench: $(STAMP)
	$(BIN)/python bench/run.py
