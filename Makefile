# Two commands matter: `make serve` and `make test`. Both set everything up from nothing.
# Targets depend on their inputs, so a second `make serve` does not rebuild.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
INPUTS := $(shell find ontology data shapes -type f \( -name '*.ttl' -o -name '*.txt' \) 2>/dev/null)
# The build's own code: the pipeline, the store it writes and the shared modules below them.
BUILD_CODE := $(shell find src/kg/pipeline src/kg/store -type f \( -name '*.py' -o -name '*.rq' \) 2>/dev/null) \
	$(wildcard src/kg/*.py)
ARTIFACT := build/manifest.json

.DEFAULT_GOAL := help
.PHONY: help serve serve-public test lint lint-ontology build validate clean frontend chromium \
	apache nginx virtuoso comunica axe lighthouse lighthouse-performance bench bench-search bench-rolling bench-build test-stress mutation

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The artifact is dated a second before the build's start, so an input edited while a build
# runs is newer than the artifact and the next `make build` builds again: file times advance
# in clock ticks, and an edit in the same tick as the start would look no newer. The start's
# stamp sits beside the artifact, so two builds of different artifacts never share one.
$(ARTIFACT): $(STAMP) $(INPUTS) $(BUILD_CODE)
	@mkdir -p $(dir $@) && touch -d '1 second ago' $@.build-started
	$(BIN)/kg build
	@touch -r $@.build-started $@ && rm -f $@.build-started

build: $(ARTIFACT) ## build the artifact when the inputs or the build's code changed

validate: $(STAMP) ## report every SHACL problem with file and line
	$(BIN)/kg validate

# The workbench's YASGUI comes from npm and is served from our own host (no CDN). npm runs only
# when frontend/package.json or its lock changed; the dist files are copied, never committed.
YASGUI := src/kg/web/site/static/vendor/yasgui/yasgui.min.js
frontend/node_modules/.stamp: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(YASGUI): frontend/node_modules/.stamp
	mkdir -p $(dir $@)
	cp frontend/node_modules/@zazuko/yasgui/build/yasgui.min.js \
	   frontend/node_modules/@zazuko/yasgui/build/yasgui.min.css $(dir $@)
	cp frontend/node_modules/@zazuko/yasgui/package.json $(dir $@)package.json
	touch $@

# Natural Earth country outlines (public domain) from npm's world-atlas, for the map on /map.
ATLAS := src/kg/web/site/static/vendor/world-atlas/countries-10m.json
$(ATLAS): frontend/node_modules/.stamp
	mkdir -p $(dir $@)
	cp frontend/node_modules/world-atlas/countries-10m.json frontend/node_modules/world-atlas/LICENSE \
	   frontend/node_modules/world-atlas/package.json $(dir $@)
	touch $@

# Source Sans 3 (SIL OFL 1.1) from npm's @fontsource: the one font the pictures are drawn in, so
# the server measures their text with the metrics of the very file the browser gets.
FONT := src/kg/web/site/static/vendor/source-sans-3/source-sans-3-latin-400-normal.woff2
$(FONT): frontend/node_modules/.stamp
	mkdir -p $(dir $@)
	cp frontend/node_modules/@fontsource/source-sans-3/files/source-sans-3-latin-400-normal.woff2 \
	   frontend/node_modules/@fontsource/source-sans-3/files/source-sans-3-latin-700-normal.woff2 \
	   frontend/node_modules/@fontsource/source-sans-3/LICENSE \
	   frontend/node_modules/@fontsource/source-sans-3/package.json $(dir $@)
	touch $@

FRONTEND := $(YASGUI) $(ATLAS) $(FONT)

frontend: $(FRONTEND) ## install YASGUI, the map outlines and the pictures' font from npm into the served static folder

chromium: ## install Debian's chromium for the browser tests when it is missing
	sh scripts/ensure-chromium.sh

apache: ## install Debian's apache2 for the w3id redirect tests when it is missing
	sh scripts/ensure-apache.sh

nginx: ## install Debian's nginx for serve-public and its tests when it is missing
	sh scripts/ensure-nginx.sh

virtuoso: ## install Debian's Virtuoso for the second-store tests when it is missing
	sh scripts/ensure-virtuoso.sh

serve: $(ARTIFACT) $(FRONTEND) ## set up, build when needed, and serve on KG_HOST:KG_PORT (127.0.0.1:8000)
	$(BIN)/kg serve

# Beyond localhost: nginx (buffering, limits) on KG_HOST:KG_PORT in front of KG_REPLICAS
# gunicorn replicas; `kill -HUP $$(cat build/serve-public-$$KG_PORT.pid)` rolls a new build.
serve-public: $(ARTIFACT) $(FRONTEND) nginx ## serve beyond localhost: nginx in front of gunicorn replicas
	$(BIN)/kg serve-public

# Not part of `make test`: minutes per module on two cores. MODULES="lexer limits" picks some
# (names in scripts/mutation.py); MUTATION_JOBS sets the mutants tested at once (default 2).
mutation: $(STAMP) ## mutation-test the safety-critical modules; fails at 10 % survivors or more
	nice $(BIN)/python scripts/mutation.py $(MODULES)

lint: $(STAMP) ## ruff over the code, and the architecture's import contracts (pyproject.toml)
	$(BIN)/ruff check src tests bench server.py
	$(BIN)/ruff format --check src tests bench server.py
	$(BIN)/lint-imports --no-cache

lint-ontology: $(STAMP) ## check the ontology, shapes and data against the house rules (kg lint)
	$(BIN)/kg lint

COMUNICA := tools/comunica/node_modules/.installed-stamp

# npm ci only when the lock file changed: a second `make test` does not touch the network.
$(COMUNICA): tools/comunica/package.json tools/comunica/package-lock.json
	cd tools/comunica && npm ci --no-audit --no-fund --loglevel=error
	touch $@

comunica: $(COMUNICA) ## install the Comunica SPARQL engine used by the federation tests

AXE := tools/axe/node_modules/.installed-stamp

# axe-core checks every kind of page against WCAG 2.1 AA in the chromium tests.
$(AXE): tools/axe/package.json tools/axe/package-lock.json
	cd tools/axe && npm ci --no-audit --no-fund --loglevel=error
	touch $@

axe: $(AXE) ## install axe-core, used by the accessibility tests in chromium

LIGHTHOUSE := tools/lighthouse/node_modules/.installed-stamp

# Lighthouse scores every kind of page (mobile) in Debian's chromium in the browser tests.
$(LIGHTHOUSE): tools/lighthouse/package.json tools/lighthouse/package-lock.json
	cd tools/lighthouse && npm ci --no-audit --no-fund --loglevel=error
	touch $@

lighthouse: $(LIGHTHOUSE) ## install Lighthouse, used by the browser tests in chromium

TEST_SETUP := $(ARTIFACT) $(FRONTEND) $(COMUNICA) $(AXE) $(LIGHTHOUSE) chromium apache nginx virtuoso

# Two passes: every test that is not about time or load runs on both cores (pytest-xdist; servers
# and browsers too, each module's server kept on one worker by its xdist_group); the `serial`
# ones (timeouts, load, Lighthouse; tests/conftest.py) then run alone. Both passes share one
# build of the project (tests/conftest.py: shared_build).
test: $(TEST_SETUP) lint lint-ontology ## set up, build, lint and run the whole test suite
	$(BIN)/pytest -n 2 --dist loadgroup -m "not serial"
	$(BIN)/pytest -m serial

# Not part of `make test`: make test's two passes while two busy loops (started and always
# stopped by the script) keep both cores busy; no test may depend on an idle machine.
test-stress: $(TEST_SETUP) ## the whole suite with both cores kept busy by two busy loops
	PYTHON=$(BIN)/python sh scripts/test-stress.sh -n 2 --dist loadgroup -m "not serial"
	PYTHON=$(BIN)/python sh scripts/test-stress.sh -m serial

# Not part of `make test`: the performance score falls when other work loads the cores, so it is
# asserted here, on a quiet machine, with the other three categories.
lighthouse-performance: $(TEST_SETUP) ## Lighthouse >= 95 in all four categories, performance too
	KG_LIGHTHOUSE_PERFORMANCE=1 $(BIN)/pytest -m browser tests/browser/test_lighthouse.py

bench: $(ARTIFACT) virtuoso ## our server vs Oxigraph's server and Virtuoso on the same build (not part of test)
	$(BIN)/python bench/run.py --build-dir build --virtuoso

bench-search: $(ARTIFACT) ## server-side time of /search and /reconcile on the build (not part of test)
	$(BIN)/python bench/search.py --build-dir build
bench-rolling: $(ARTIFACT) nginx ## roll a new build through serve-public's replicas under load (not part of test)
	$(BIN)/python bench/rolling.py --build-dir build

# Synthetic sizes for bench-build: `make bench-build SIZES="1000000 3000000 10000000"`.
SIZES ?= 1000000 3000000
bench-build: $(STAMP) ## time and peak memory of each build phase over kg synth SIZES, into bench/RESULTS.md
	nice $(BIN)/python bench/build.py $(SIZES)

clean: ## remove the build, the tests' shared builds and the virtual environment
	rm -rf build .pytest_cache $(VENV)
