# Accrete: `make run` (the pipeline on the bundled data) and `make test` (the test suite).
# Both create the virtual environment and install everything on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-stamp
# The benchmarks' own environment: the project plus mostlyai-engine (TabularARGN) and what it imports
BENCH_VENV := .venv-bench
BENCH_BIN := $(BENCH_VENV)/bin
BENCH_INSTALLED := $(BENCH_VENV)/.installed-stamp

export ACCRETE_HOME ?= $(CURDIR)/.accrete
export DAGSTER_HOME ?= $(ACCRETE_HOME)/dagster
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

# The bundled daily dataset: `make run` loads its first week; `make replay DAYS=N` delivers N more days.
DAILY_DATASET := flights
FIRST_WEEK_START := 2013-01-01
FIRST_WEEK_END := 2013-01-07
DAYS ?= 1

.PHONY: install dbt-manifest dagster-home run replay ui test lint bench-install bench-generator bench-peers bench-validation bench-collapse bench-rules clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned: any other version pulls gigabytes of CUDA packages
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

# dbt models are generated from the dataset specs (with a source of each dataset's reference tables,
# read from their files), then parsed into the manifest Dagster reads, with the warehouse path and the
# target Dagster gives dbt (orchestration/environment.py), so that a new home's first build can parse
# partially: dbt keeps a partial parse only for the same target (it reads --target from DBT_TARGET)
# and the same connection settings, the warehouse path among them.
DBT_WAREHOUSE := $(or $(ACCRETE_WAREHOUSE),$(ACCRETE_HOME)/warehouse/accrete.duckdb)
DBT_RUN_TARGET := $(or $(DBT_TARGET),$(ACCRETE_ENV),local)

dbt-manifest: install
	$(BIN)/python -m accrete.transform.dbt_models
	cd dbt_project && ACCRETE_WAREHOUSE=$(DBT_WAREHOUSE) DBT_TARGET=$(DBT_RUN_TARGET) ../$(BIN)/dbt parse --profiles-dir . --quiet

# The `gpu` pool (training, collapse monitor) holds one step on a machine with a GPU; without one, one per
# core: each training step runs torch on one thread.
GPU_POOL_LIMIT ?= $(shell $(BIN)/python -c "import os, torch; print(1 if torch.cuda.is_available() else os.cpu_count())")

dagster-home: install
	mkdir -p $(DAGSTER_HOME)
	cp deploy/local/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster instance concurrency set gpu $(GPU_POOL_LIMIT) > /dev/null

# `make run` runs every dataset; `make run DATASET=<name>` runs one (job <name>_pipeline).
DATASET ?=
PIPELINE_JOB := $(if $(DATASET),$(DATASET)_pipeline,accrete_pipeline)
LOADS_DAILY_DATASET := $(if $(DATASET),$(filter $(DAILY_DATASET),$(DATASET)),yes)

run: dbt-manifest dagster-home
ifneq ($(LOADS_DAILY_DATASET),)
	$(BIN)/python -m orchestration.replay_days $(DAILY_DATASET) --through $(FIRST_WEEK_END)
	$(BIN)/dagster job execute -m orchestration.definitions -j $(DAILY_DATASET)_daily --tags \
	  '{"dagster/asset_partition_range_start": "$(FIRST_WEEK_START)", "dagster/asset_partition_range_end": "$(FIRST_WEEK_END)"}'
endif
	$(BIN)/dagster job execute -m orchestration.definitions -j $(PIPELINE_JOB)
	$(BIN)/python -m orchestration.summary $(DATASET)

replay: install
	$(BIN)/python -m orchestration.replay_days $(DAILY_DATASET) --days $(DAYS)

ui: dbt-manifest dagster-home
	$(BIN)/dagster dev -w workspace.yaml

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# One pytest worker per core (pytest-xdist); --dist loadscope keeps each module's tests, and the
# fixtures they share, on one worker. TEST_WORKERS=0 runs every test in one process, one at a time.
TEST_WORKERS ?= $(shell $(BIN)/python -c "import os; print(len(os.sched_getaffinity(0)))")

test: dbt-manifest lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope

# torch pinned on every line: any other version pulls gigabytes of CUDA packages; mostlyai-engine
# --no-deps: its tabular path needs only the `bench` extra, not its language-model stack
$(BENCH_INSTALLED): pyproject.toml
	test -x $(BENCH_BIN)/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_BIN)/python -m pip install --quiet --upgrade pip
	$(BENCH_BIN)/python -m pip install --quiet torch==2.13.0
	$(BENCH_BIN)/python -m pip install --quiet -e '.[bench]' torch==2.13.0
	$(BENCH_BIN)/python -m pip install --quiet --no-deps mostlyai-engine==2.7.3
	touch $(BENCH_INSTALLED)

bench-install: $(BENCH_INSTALLED)

# offline: no model hub, no telemetry
BENCH_ENV := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1

# ours vs SDV (bench.generator, bench.scaling), then ours vs TabularARGN and GaussianCopula
# (bench.peers; the full mode adds the differentially private arms)
bench-generator: bench-install
	$(BENCH_BIN)/python -m bench.generator $(if $(QUICK),--quick,)
	$(if $(QUICK),,$(BENCH_BIN)/python -m bench.scaling)
	$(BENCH_ENV) $(BENCH_BIN)/python -m bench.peers $(if $(QUICK),--quick,--privacy)

# the TabularARGN comparison alone (PEERS_ARGS: e.g. --privacy, --datasets adult)
bench-peers: bench-install
	$(BENCH_ENV) $(BENCH_BIN)/python -m bench.peers $(if $(QUICK),--quick,) $(PEERS_ARGS)

bench-validation: install
	$(BIN)/python -m bench.validation

bench-collapse: install
	$(BIN)/python -m bench.collapse_effects

# needs the warehouse `make run` writes: the rules benchmark trains on its real training tables
bench-rules: install
	$(BIN)/python -m bench.rules --warehouse $(ACCRETE_HOME)/warehouse/accrete.duckdb

clean:
	rm -rf .accrete dbt_project/target dbt_project/logs dbt_project/models/generated
