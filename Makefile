# Two commands matter: `make serve` and `make test`. Both set everything up from nothing.
# Targets depend on their inputs, so a second `make serve` does not rebuild.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
INPUTS := $(shell find ontology data shapes -type f \( -name '*.ttl' -o -name '*.txt' \) 2>/dev/null)
ARTIFACT := build/manifest.json

.DEFAULT_GOAL := help
.PHONY: help serve test lint build validate clean bench

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(ARTIFACT): $(STAMP) $(INPUTS)
	$(BIN)/kg build
	@touch $@

build: $(ARTIFACT) ## build the artifact when the inputs changed

validate: $(STAMP) ## report every SHACL problem with file and line
	$(BIN)/kg validate

serve: $(ARTIFACT) ## set up, build when needed, and serve on KG_HOST:KG_PORT (127.0.0.1:8000)
	$(BIN)/kg serve

lint: $(STAMP) ## ruff over the code
	$(BIN)/ruff check src tests server.py
	$(BIN)/ruff format --check src tests server.py

test: $(ARTIFACT) lint ## set up, build, lint and run the whole test suite
	$(BIN)/pytest

bench: $(ARTIFACT) ## our server vs an Oxigraph server on the same build (not part of test)
	$(BIN)/python bench/run.py --build-dir build

clean: ## remove the build and the virtual environment
	rm -rf build $(VENV)
