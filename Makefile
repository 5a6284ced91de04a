# Accrete: `make run` (the pipeline on the bundled data) and `make test` (the test suite).
# Both create the virtual environment and install everything on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-stamp

export ACCRETE_HOME ?= $(CURDIR)/.accrete
export DAGSTER_HOME ?= $(ACCRETE_HOME)/dagster
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

# The bundled daily dataset: `make run` loads its first week; `make replay DAYS=N` delivers N more days.
DAILY_DATASET := flights
FIRST_WEEK_START := 2013-01-01
FIRST_WEEK_END := 2013-01-07
DAYS ?= 1

.PHONY: install dbt-manifest dagster-home run replay ui test lint bench-generator bench-validation bench-collapse bench-rules clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned: any other version pulls gigabytes of CUDA packages
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

# dbt models are generated from the dataset specs (with a source of each dataset's reference tables,
# read from their files), then parsed into the manifest Dagster reads, with the warehouse path Dagster
# gives dbt, so that a new home's first build can parse partially.
dbt-manifest: install
	$(BIN)/python -m accrete.transform.dbt_models
	cd dbt_project && ACCRETE_WAREHOUSE=$(ACCRETE_HOME)/warehouse/accrete.duckdb ../$(BIN)/dbt parse --profiles-dir . --quiet

dagster-home:
	mkdir -p $(DAGSTER_HOME)
	cp deploy/local/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

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

test: dbt-manifest lint
	$(BIN)/pytest

bench-generator: install
	$(BIN)/python -m bench.generator $(if $(QUICK),--quick,)
	$(if $(QUICK),,$(BIN)/python -m bench.scaling)

bench-validation: install
	$(BIN)/python -m bench.validation

bench-collapse: install
	$(BIN)/python -m bench.collapse_effects

# needs the warehouse `make run` writes: the rules benchmark trains on its real training tables
bench-rules: install
	$(BIN)/python -m bench.rules --warehouse $(ACCRETE_HOME)/warehouse/accrete.duckdb

clean:
	rm -rf .accrete dbt_project/target dbt_project/logs dbt_project/models/generated
