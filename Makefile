# videoforge: the targets a newcomer expects.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.package-lock.json
# Browser tests drive Debian's Chromium (Playwright's own browser download fails offline).
CHROMIUM ?= /usr/bin/chromium
# The P5 benchmark loads the API with Debian's wrk.
WRK ?= /usr/bin/wrk

.PHONY: install run test unit e2e screenshots lint format bench soak lock clean

install: $(STAMP) $(NODE_STAMP)

$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
	# Bytecode compiled now: uv does not by default, and where PYTHONDONTWRITEBYTECODE is set
	# every start would compile every module again (the CLI took 0.83 s instead of 0.36).
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements-dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --config-settings editable_mode=compat -e .
	touch $(STAMP)

# hls.js and Swagger UI, pinned in package-lock.json; the API serves them from node_modules.
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

$(CHROMIUM):
	@test "$$(id -u)" = 0 || { echo "browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

$(WRK):
	@test "$$(id -u)" = 0 || { echo "make bench needs Debian's wrk: sudo apt-get install wrk"; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null

run: install
	$(BIN)/videoforge serve

test: install $(CHROMIUM)
	$(BIN)/pytest

unit: install
	$(BIN)/pytest tests/unit

e2e: install $(CHROMIUM)
	$(BIN)/pytest tests/e2e

# Refresh the pictures of the page in docs/ (the browser tests take them).
screenshots: install $(CHROMIUM)
	mkdir -p docs
	VIDEOFORGE_SCREENSHOT_DIR=$(CURDIR)/docs $(BIN)/pytest -q tests/e2e/test_page.py tests/e2e/test_page_ladder.py tests/e2e/test_page_previews.py tests/e2e/test_storyboards.py tests/e2e/test_page_settings.py -k "hls or phone or pictures or posters or seek_strip or webhooks_are"

lint: install
	$(BIN)/ruff check videoforge tests bench
	$(BIN)/ruff format --check videoforge tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format videoforge tests bench
	$(BIN)/ruff check --fix videoforge tests bench

# The long chaos soak (make test runs a short seeded one): SEED=n repeats a run.
SEED ?= $(shell date +%s)
soak: install
	$(BIN)/python -m tests.soak.chaos --jobs 20 --faults 8 --seed $(SEED)

# Every benchmark, then one table of figures, targets and pass/FAIL (QUICK=1: a fast trial).
bench: install $(WRK)
	WRK=$(WRK) $(BIN)/python bench/table.py $(if $(QUICK),--quick)

# requirements.lock: what the images install; requirements-dev.lock: that plus the dev tools.
lock:
	$(BIN)/uv pip compile --quiet pyproject.toml -o requirements.lock --python-version 3.11
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev -o requirements-dev.lock --python-version 3.11

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
