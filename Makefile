# One-command setup: every target that needs the environment builds it first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= local,aws,dev
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: help venv test lint format bench-kernel clean

help:
	@echo "make test          create $(VENV), install sweeplib[$(EXTRAS)], run the test suite"
	@echo "make lint          ruff + mypy (strict for sweeplib)"
	@echo "make bench-kernel  kernel throughput benchmark (events/s, medians)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

venv: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check sweeplib tests benchmarks
	$(BIN)/ruff format --check sweeplib tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format sweeplib tests benchmarks
	$(BIN)/ruff check --fix sweeplib tests benchmarks

bench-kernel: $(STAMP)
	$(BIN)/python -m benchmarks.kernel

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
