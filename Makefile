# One-command setup: every target that needs the environment builds it first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= local,aws,athena,analysis,notebooks,dev
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
# checkov pins libraries (boto3, packaging) that clash with ours: it gets its own venv.
CHECKOV_VENV ?= .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov

.PHONY: help venv compile-kernel pure-kernel test lint format demo bench bench-kernel bench-sweep bench-submit bench-streams bench-reliability bench-analysis bench-stats package lock-lambda checkov render-terraform deploy destroy kernel report strip-notebooks clean

help:
	@echo "make demo          set up, run an 8-point sweep locally into $(DATA_DIR)/, query it with Athena SQL"
	@echo "make test          create $(VENV), install sweeplib[$(EXTRAS)], compile the kernel, run the test suite"
	@echo "make compile-kernel  compile the kernel in place with mypyc (ADR 0020); make pure-kernel removes it"
	@echo "make lint          ruff + mypy (strict for sweeplib) + import-linter contracts"
	@echo "make kernel        register the JupyterLab kernel 'Python (sweeplib)' for this venv"
	@echo "make report RUN_ID=<id> [BACKEND=local|athena] [DATA_DIR=$(DATA_DIR)]  papermill report -> reports/*.ipynb + .html"
	@echo "make strip-notebooks  strip outputs from notebooks/*.ipynb before committing"
	@echo "make package       build dist/sweep-lambda.zip for the Lambda (Python 3.12)"
	@echo "make deploy        package + terraform apply (docs/deploy.md); make destroy"
	@echo "make render-terraform  render infra/terraform/athena_tables.json from the dataset registry"
	@echo "make bench         bench-kernel + bench-sweep + bench-submit"
	@echo "make bench-kernel  kernel throughput benchmark (events/s, medians; BENCH_ARGS=--pure: the pure kernel)"
	@echo "make bench-sweep   local sweep: parallel efficiency, time outside the kernel"
	@echo "make bench-submit  API submit latency: 1,000-shard grid, 50,000-point design (moto)"
	@echo "make bench-streams coupling of neighbouring seeds per rng_layout (SIM_SPEC deviation 6)"
	@echo "make bench-reliability  fuzz, forged messages, crashes in acceptance, races, replay/status times"
	@echo "make bench-analysis  named queries before/after consolidation, 10k and 200k points"
	@echo "make bench-stats     effects, contrasts, summaries, sensitivity on 200k points"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	$(if $(findstring notebooks,$(EXTRAS)),$(BIN)/python -m ipykernel install --sys-prefix --name sweeplib --display-name "Python (sweeplib)")
	touch $@

venv: $(STAMP)

# The kernel compiled with mypyc, in place beside its sources (ADR 0020): the editable
# install stays pure Python, so CI compiles here and the whole suite runs against the
# compiled kernel (tests/unit/sim/test_compiled_parity.py compares it with the pure one).
# Rebuilt whenever a kernel source changes; tests refuse a stale build.
KERNEL_SOURCES := $(filter-out %/__init__.py %/outputs.py %/params.py %/run.py,$(wildcard sweeplib/sim/*.py))
KERNEL_STAMP := sweeplib/sim/.compiled
$(KERNEL_STAMP): $(STAMP) $(KERNEL_SOURCES) setup.py pyproject.toml
	SWEEPLIB_COMPILE=1 $(BIN)/python setup.py --quiet build_ext --inplace
	touch $@

compile-kernel: $(KERNEL_STAMP)

pure-kernel:
	rm -f sweeplib/sim/*.so $(KERNEL_STAMP)

test: $(STAMP) $(KERNEL_STAMP) $(CHECKOV)
	SWEEPLIB_REQUIRE_COMPILED=1 $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check sweeplib tests benchmarks lambda_pkg setup.py
	$(BIN)/ruff format --check sweeplib tests benchmarks lambda_pkg setup.py
	$(BIN)/mypy
	$(BIN)/lint-imports
	@if command -v terraform >/dev/null; then terraform fmt -check -recursive infra/terraform; fi

format: $(STAMP)
	$(BIN)/ruff format sweeplib tests benchmarks lambda_pkg setup.py
	$(BIN)/ruff check --fix sweeplib tests benchmarks lambda_pkg setup.py

# -- analysis (see docs/analysis.md) ---------------------------------------------
kernel: $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name sweeplib --display-name "Python (sweeplib)"

# One local outcome folder for `make demo` and `make report` (and every `sweep` command's
# default): `make demo && make report RUN_ID=demo-run-001` reports on the demo.
DATA_DIR ?= data
RUN_ID ?=
BACKEND ?= local
REPORTS_DIR ?= reports
report: $(STAMP)
	@test -n "$(RUN_ID)" || { echo "usage: make report RUN_ID=<run id> [BACKEND=local|athena] [DATA_DIR=data] [DATABASE=…] [WORKGROUP=…] [OUTPUT_LOCATION=s3://…]"; exit 2; }
	$(BIN)/sweep report $(RUN_ID) --backend $(BACKEND) --data-dir $(DATA_DIR) --output-dir $(REPORTS_DIR) $(if $(DATABASE),--database $(DATABASE)) $(if $(WORKGROUP),--workgroup $(WORKGROUP)) $(if $(OUTPUT_LOCATION),--output-location $(OUTPUT_LOCATION))

strip-notebooks: $(STAMP)
	$(BIN)/python -c "import sys; from sweeplib.reports import strip_notebook; [print('stripped', p) for p in sys.argv[1:] if strip_notebook(p)]" notebooks/*.ipynb

# -- deployment (see docs/deploy.md) --------------------------------------------
LAMBDA_ARCH ?= x86_64
LAMBDA_ZIP ?= dist/sweep-lambda.zip
TF_DIR ?= infra/terraform

# The Glue tables' columns, partition keys and statuses, rendered from the dataset
# registry (ADR 0007); a unit test fails while the committed file is stale.
render-terraform: $(STAMP)
	$(BIN)/python -m sweeplib.query.ddl --terraform > $(TF_DIR)/athena_tables.json.tmp \
		|| { rm -f $(TF_DIR)/athena_tables.json.tmp; exit 1; }
	mv $(TF_DIR)/athena_tables.json.tmp $(TF_DIR)/athena_tables.json

package: $(STAMP)
	$(BIN)/python -m lambda_pkg build --arch $(LAMBDA_ARCH) --output $(LAMBDA_ZIP)

lock-lambda: $(STAMP)
	$(BIN)/python -m lambda_pkg lock

$(CHECKOV):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==3.3.30

checkov: $(CHECKOV)
	$(CHECKOV) --config-file infra/.checkov.yaml

# destroy depends on package: the Terraform hashes the zip even when destroying.
deploy: package
	terraform -chdir=$(TF_DIR) init -input=false
	terraform -chdir=$(TF_DIR) apply -input=false -var lambda_zip_path=$(abspath $(LAMBDA_ZIP)) -var lambda_architecture=$(LAMBDA_ARCH)

destroy: package
	terraform -chdir=$(TF_DIR) destroy -input=false -var lambda_zip_path=$(abspath $(LAMBDA_ZIP)) -var lambda_architecture=$(LAMBDA_ARCH)

bench: bench-kernel bench-sweep bench-submit

# The compiled kernel; BENCH_ARGS=--pure measures the pure-Python one.
BENCH_ARGS ?=
bench-kernel: $(KERNEL_STAMP)
	$(BIN)/python -m benchmarks.kernel $(BENCH_ARGS)

bench-streams: $(STAMP)
	$(BIN)/python -m benchmarks.streams

bench-sweep: $(STAMP)
	$(BIN)/python -m benchmarks.sweep

bench-submit: $(STAMP)
	POWERTOOLS_LOG_LEVEL=WARNING $(BIN)/python -m benchmarks.submit

bench-reliability: $(STAMP)
	POWERTOOLS_LOG_LEVEL=CRITICAL $(BIN)/python -m benchmarks.reliability $(if $(JSON),--json $(JSON))

# Builds the synthetic runs once into $(BENCH_CACHE) (the 200,000-point one takes long).
BENCH_CACHE ?= /tmp/sweeplib-bench
BENCH_SIZES ?= 10000,200000
bench-analysis: $(STAMP)
	$(BIN)/python -m benchmarks.analysis --cache $(BENCH_CACHE) --sizes $(BENCH_SIZES)

# The research statistics on 200,000 points (in memory; STATS_ARGS="--data-dir DIR
# --run-id RUN" also times run_points and run_report on a run folder).
STATS_ARGS ?=
bench-stats: $(STAMP)
	$(BIN)/python -m benchmarks.statistics $(STATS_ARGS)

# The demo: a real 8-point sweep in 4 shards, one failure injected on purpose (shard 1),
# then the run profile, failure diagnostics and per-point metrics from DuckDB, written
# in Athena's dialect (the same named queries run in Athena). It writes into DATA_DIR,
# the folder `make report` reads, and deletes nothing there (other runs may live in it):
# run again, the same request resumes demo-run-001 (nothing left to run; shard 1 stays
# failed) and the same tables print.
DEMO_RUN := demo-run-001
demo: $(STAMP)
	$(BIN)/sweep plan examples/demo-request.json
	$(BIN)/sweep run examples/demo-request.json --data-dir $(DATA_DIR)
	$(BIN)/sweep status $(DEMO_RUN) --data-dir $(DATA_DIR)
	@echo; echo "== run profile (named query run_profile, Athena SQL on DuckDB)"
	$(BIN)/sweep query --named run_profile --param run_id=$(DEMO_RUN) --data-dir $(DATA_DIR)
	@echo; echo "== failure diagnostics (named query failure_diagnostics)"
	$(BIN)/sweep query --named failure_diagnostics --param run_id=$(DEMO_RUN) --data-dir $(DATA_DIR)
	@echo; echo "== metrics per point (named query point_metrics)"
	$(BIN)/sweep query --named point_metrics --param run_id=$(DEMO_RUN) --data-dir $(DATA_DIR)
	@echo; echo "report on it: make report RUN_ID=$(DEMO_RUN)"

clean:
	rm -f sweeplib/sim/*.so $(KERNEL_STAMP)
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis $(CHECKOV_VENV)
