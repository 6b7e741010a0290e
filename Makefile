# videoforge: the targets a newcomer expects.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test unit e2e lint format bench lock clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements-dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --config-settings editable_mode=compat -e .
	touch $(STAMP)

run: install
	$(BIN)/videoforge serve

test: install
	$(BIN)/pytest

unit: install
	$(BIN)/pytest tests/unit

e2e: install
	$(BIN)/pytest tests/e2e

lint: install
	$(BIN)/ruff check videoforge tests bench
	$(BIN)/ruff format --check videoforge tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format videoforge tests bench
	$(BIN)/ruff check --fix videoforge tests bench

bench: install
	$(BIN)/python bench/transcode_overhead.py

# requirements.lock: what the images install; requirements-dev.lock: that plus the dev tools.
lock:
	$(BIN)/uv pip compile --quiet pyproject.toml -o requirements.lock --python-version 3.11
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev -o requirements-dev.lock --python-version 3.11

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
