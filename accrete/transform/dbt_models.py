"""Writes each dataset's dbt models from its spec: data only, the SQL lives in dbt macros.

Onboarding a dataset means writing a spec, not SQL. The staging, cleaning and accumulation
logic is written once, as commented macros in ``dbt_project/macros/`` (``accrete_staging``,
``accrete_clean``, ``accrete_accumulated``, ``accrete_split``). What this module writes per dataset
is what those macros read: a properties file with the dbt source, each model's config (materialized,
schema, tags), the dataset facts in the model's meta (missing-value tokens, record key, holdout
fraction, imputation, daily or not), each column's spec type and options in its meta, and the
tests the spec implies; plus one model file per model, a single macro call. Every column is
marked ``quote: true``, so dbt's tests quote its name as the macros do. The files land in
``dbt_project/models/generated/<name>/`` (git-ignored, rebuilt by
``python -m accrete.transform.dbt_models``, which ``make`` runs before ``dbt parse``).

A dataset's reference tables (``datasets/<name>/reference/<table>.csv``) are a second dbt source in
the same properties file, ``<name>_reference``, one table per file: dbt-duckdb reads each straight
from its file (``external_location``), every column text, so nothing loads them into the warehouse
and its reference rules' tests on the clean table read ``source('<name>_reference', '<table>')``.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import yaml

from accrete.rules.reference_tables import reference_table_names, reference_table_path, reference_table_sql
from accrete.rules.rule_spec import ReferenceRule
from accrete.rules.violations import clean_table_test_sql
from accrete.spec import FALSE_TOKENS, MISSING_FLAG_SUFFIX, TRUE_TOKENS, ColumnSpec, DatasetSpec, load_specs
from accrete.tables import CLEAN_SCHEMA, RAW_SCHEMA, REAL_SCHEMA, STAGING_SCHEMA, DatasetTables

HEADER = "# Generated from datasets/{name}/spec.yaml by accrete.transform.dbt_models: edit the spec, not this file.\n"

RAW_SOURCE = RAW_SCHEMA
"""The dbt source of the landing tables; its table ``<name>`` is ``raw.<name>``, written by ingestion."""

DAILY_TAG = "daily"
PARTITION_START = "ACCRETE_PARTITION_START"
PARTITION_END = "ACCRETE_PARTITION_END"
"""The environment variables that carry a daily run's first and last day to dbt (read by the
``accrete_partition_filter`` macro); environment variables rather than dbt vars, so that dbt's
partial parsing survives a new day."""

REPLACE_BY_BATCH = {
    "unique_key": "_batch",
    "incremental_strategy": "delete+insert",
    "on_schema_change": "sync_all_columns",
}
"""Incremental models keep each batch's rows under delete+insert: loading a batch again replaces it.
After a spec change migrated the raw table, dbt aligns the table's columns with the new ones and the
macros load every batch again (``accrete_columns_changed``)."""


def dataset_tag(name: str) -> str:
    """The dbt tag of every model of dataset ``name`` (Dagster selects models by it)."""
    return f"dataset_{name}"


class _PlainDumper(yaml.SafeDumper):
    """Writes every value in full: a value used twice is not turned into a YAML anchor and alias."""

    def ignore_aliases(self, data) -> bool:
        return True


def _number(value: float) -> int | float:
    """A bound as a person writes it: 17 rather than 17.0."""
    return int(value) if float(value).is_integer() else value


def column_meta(column: ColumnSpec) -> dict:
    """What the macros need to know about one column: its spec type and the options it sets (also what
    the landing check casts by, through the same macros: ``accrete.value_casts``)."""
    meta: dict = {"type": column.type}
    if column.integer:
        meta["integer"] = True
    if column.min is not None:
        meta["min"] = _number(column.min)
    if column.max is not None:
        meta["max"] = _number(column.max)
    if column.datetime_format:
        meta["datetime_format"] = column.datetime_format
    if column.aliases:
        meta["aliases"] = dict(column.aliases)
    if column.type == "boolean":
        meta["true_values"] = list(TRUE_TOKENS)
        meta["false_values"] = list(FALSE_TOKENS)
    return meta


def _config(
    spec: DatasetSpec, materialized: str, schema: str, runs_per_day: bool, meta: dict | None = None
) -> dict:
    """A model's dbt config; ``runs_per_day``: the model runs day by day when the dataset arrives by day."""
    tags = [dataset_tag(spec.name)] + ([DAILY_TAG] if runs_per_day and spec.partitions else [])
    config: dict = {"materialized": materialized, "schema": schema, "tags": tags}
    if materialized == "incremental":
        config.update(REPLACE_BY_BATCH)
    if meta is not None:
        config["meta"] = meta
    return config


def _row_id_column() -> dict:
    return {
        "name": "_row_id",
        "description": "Row provenance: landing batch and line",
        "quote": True,
        "data_tests": ["unique", "not_null"],
    }


def _column_tests(column: ColumnSpec) -> list:
    """What a cleaned column must satisfy: a value, a known category, a value within its range."""
    tests: list = ["not_null"]
    if column.categories is not None:
        tests.append({"accepted_values": {"arguments": {"values": list(column.categories)}}})
    if column.type == "numerical" and (column.min is not None or column.max is not None):
        tests.append({"accrete_in_range": {"arguments": {"min_value": column.min, "max_value": column.max}}})
    return tests


def _spec_columns(spec: DatasetSpec, with_rules: bool) -> list[dict]:
    """The spec's columns with their meta; ``with_rules``: with their tests, and the missing-value
    flags imputation adds."""
    documented = []
    for name, column in spec.staged_columns.items():
        entry = {
            "name": name,
            "description": column.description or name,
            "quote": True,
            "config": {"meta": column_meta(column)},
        }
        if with_rules and name in spec.modelled_columns:  # a column declared empty (all_null: keep) has none
            entry["data_tests"] = _column_tests(column)
        documented.append(entry)
    if with_rules:
        documented += [
            {
                "name": f"{name}{MISSING_FLAG_SUFFIX}",
                "description": f"True where {name} was missing and has been imputed",
                "quote": True,
                "data_tests": ["not_null"],
            }
            for name in spec.imputation.columns
        ]
    return documented


def _staging_model(spec: DatasetSpec) -> dict:
    meta = {
        "missing_tokens": list(spec.format.missing_tokens),
        "record_key": list(spec.record_key),
        "hashed_record_key": spec.hashed_record_key,
        "holdout_fraction": spec.holdout_fraction,
    }
    record_key_test = {"accrete_unique_combination": {"arguments": {"columns": spec.record_key}}}
    hashed_keys = [
        {
            "name": name,
            "description": f"sha256 of the identifier {name}, part of the record key: finds re-delivered "
            "records, dropped after staging",
            "quote": True,
        }
        for name in spec.hashed_record_key
    ]
    return {
        "name": DatasetTables(spec.name).staged_model,
        "description": f"{spec.name}: typed, trimmed, identifiers dropped, re-deliveries removed.",
        "config": _config(spec, "view", STAGING_SCHEMA, runs_per_day=True, meta=meta),
        "data_tests": [record_key_test] if spec.record_key else [],
        "columns": [_row_id_column(), *hashed_keys, *_spec_columns(spec, with_rules=False)],
    }


def _rule_tests(spec: DatasetSpec) -> list[dict]:
    """One ``accrete_rule`` test per business rule the real clean rows must obey."""
    tests = []
    for rule in spec.rules:
        violations = clean_table_test_sql(rule)
        if violations is None:
            continue
        arguments = {"rule": rule.name, "violations": violations}
        if isinstance(rule, ReferenceRule):
            arguments["reference"] = f"source('{DatasetTables(spec.name).reference_source}', '{rule.table}')"
        tests.append({"accrete_rule": {"arguments": arguments}})
    return tests


def _clean_model(spec: DatasetSpec) -> dict:
    daily = spec.partitions is not None
    meta = {
        "imputation": {"columns": list(spec.imputation.columns), "group_by": list(spec.imputation.group_by)},
        "daily": daily,
    }
    materialized = "incremental" if daily else "table"
    staged = f"ref('{DatasetTables(spec.name).staged_model}')"
    return {
        "name": DatasetTables(spec.name).clean_model,
        "description": f"{spec.name}: every staged row, missing values imputed, with flags.",
        "config": _config(spec, materialized, CLEAN_SCHEMA, runs_per_day=True, meta=meta),
        "data_tests": [
            {"accrete_keeps_every_row": {"arguments": {"staged": staged, "daily": daily}}},
            *_rule_tests(spec),
        ],
        "columns": [_row_id_column(), *_spec_columns(spec, with_rules=True)],
    }


def _accumulated_model(spec: DatasetSpec) -> dict:
    meta = {"daily": spec.partitions is not None}
    return {
        "name": DatasetTables(spec.name).accumulated_model,
        "description": f"{spec.name}: every real row received so far; batches are never dropped.",
        "config": _config(spec, "incremental", REAL_SCHEMA, runs_per_day=True, meta=meta),
        "columns": [_row_id_column()],
    }


def _split_models(spec: DatasetSpec) -> list[dict]:
    tables = DatasetTables(spec.name)
    descriptions = {
        tables.train_model: f"{spec.name}: accumulated rows a generator may learn from.",
        tables.holdout_model: f"{spec.name}: real rows no generator ever sees.",
    }
    return [
        {
            "name": name,
            "description": description,
            "config": _config(spec, "view", REAL_SCHEMA, runs_per_day=False),
        }
        for name, description in descriptions.items()
    ]


def _reference_table(datasets_dir: Path, dataset: str, table: str) -> dict:
    """One reference table as a table of the dataset's reference source, which dbt-duckdb reads from
    the file as the rules' Python reader does (``reference_table_sql``: every column text)."""
    # an absolute path, written on this machine: the generated folder is per machine and git-ignored
    location = reference_table_sql(reference_table_path(datasets_dir.resolve(), dataset, table))
    return {
        "name": table,
        "description": f"{dataset}: reference table {table} (datasets/{dataset}/reference/{table}.csv, "
        "read from the file), every column text; what the dataset's reference rules check values against.",
        # dbt-duckdb fills placeholders of the location in; as a template ($name, $$ for a $), braces in
        # a path stay as written (str.format's {{ }} would be taken for Jinja when dbt parses this file)
        "config": {"meta": {"external_location": location.replace("$", "$$"), "formatter": "template"}},
    }


def _sources(spec: DatasetSpec, datasets_dir: Path) -> list[dict]:
    """The dataset's landing table (the raw source) and, when it ships some, its reference tables."""
    raw = {
        "name": RAW_SOURCE,
        "schema": RAW_SCHEMA,
        "tables": [
            {"name": spec.name, "description": f"Landing files of {spec.name} as delivered (all text)."}
        ],
    }
    tables = reference_table_names(datasets_dir, spec.name)
    if not tables:
        return [raw]
    reference = {
        "name": DatasetTables(spec.name).reference_source,
        "description": f"The reference tables {spec.name} ships (datasets/{spec.name}/reference/).",
        "tables": [_reference_table(datasets_dir, spec.name, table) for table in tables],
    }
    return [raw, reference]


def render_properties(spec: DatasetSpec, datasets_dir: Path) -> str:
    """The dbt sources and models of one dataset (its reference tables in ``datasets_dir``): configs,
    the meta the macros read, descriptions, tests."""
    models = [_staging_model(spec), _clean_model(spec), _accumulated_model(spec), *_split_models(spec)]
    document = {"version": 2, "sources": _sources(spec, datasets_dir), "models": models}
    # flow style for the innermost lists and mappings: one line per column's meta, tags, tokens
    body = yaml.dump(document, Dumper=_PlainDumper, sort_keys=False, default_flow_style=None)
    return HEADER.format(name=spec.name) + body


def render_model_files(spec: DatasetSpec) -> dict[str, str]:
    """File name -> content of each model file: one call of the macro that builds the model,
    naming its input so that dbt sees the dependency when it parses."""
    tables = DatasetTables(spec.name)
    calls = {
        tables.staged_model: f"accrete_staging(source('{RAW_SOURCE}', '{spec.name}'))",
        tables.clean_model: f"accrete_clean(ref('{tables.staged_model}'))",
        tables.accumulated_model: f"accrete_accumulated(ref('{tables.clean_model}'))",
        tables.train_model: f"accrete_split(ref('{tables.accumulated_model}'), 'train')",
        tables.holdout_model: f"accrete_split(ref('{tables.accumulated_model}'), 'holdout')",
    }
    return {f"{model}.sql": f"{{{{ {call} }}}}\n" for model, call in calls.items()}


def render_dataset_models(spec: DatasetSpec, datasets_dir: Path) -> dict[str, str]:
    """File name -> content of every dbt file for one dataset (its reference tables in ``datasets_dir``)."""
    return {f"_{spec.name}__schema.yml": render_properties(spec, datasets_dir), **render_model_files(spec)}


def write_models(specs: dict[str, DatasetSpec], datasets_dir: Path, models_dir: Path) -> list[Path]:
    """Render every dataset (its reference tables in ``datasets_dir``) into ``models_dir/<name>/``;
    folders of datasets without a spec are removed.

    Files whose content is unchanged are not rewritten, so dbt's partial parsing stays warm.
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    for stale in models_dir.iterdir():
        if stale.is_dir() and stale.name not in specs:
            shutil.rmtree(stale)
    written = []
    for name, spec in specs.items():
        folder = models_dir / name
        folder.mkdir(exist_ok=True)
        rendered = render_dataset_models(spec, datasets_dir)
        for stale in folder.iterdir():
            if stale.name not in rendered:
                stale.unlink()
        for file_name, content in rendered.items():
            path = folder / file_name
            if not path.exists() or path.read_text() != content:
                path.write_text(content)
                written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=Path, default=Path("datasets"))
    parser.add_argument("--out", type=Path, default=Path("dbt_project/models/generated"))
    arguments = parser.parse_args()
    written = write_models(load_specs(arguments.specs), arguments.specs, arguments.out)
    print(f"dbt models: {len(written)} file(s) written under {arguments.out}")


if __name__ == "__main__":
    main()
