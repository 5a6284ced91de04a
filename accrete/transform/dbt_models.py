"""Writes each dataset's dbt models and their tests from its spec.

Onboarding a dataset means writing a spec, not SQL: this module renders, per dataset,
the dbt source (linked to the ingestion asset), the staging view, the cleaned and imputed
table, the incremental accumulated table, the train/holdout split views and a schema file
with the tests the spec implies. The files land in ``dbt_project/models/generated/<name>/``
(git-ignored, rebuilt by ``python -m accrete.transform.dbt_models``, which ``make`` runs before
``dbt parse``). The SQL is written in the jaffle_shop style, one CTE per step, so the
compiled models read like hand-written ones.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import yaml

from accrete.spec import FALSE_TOKENS, MISSING_FLAG_SUFFIX, TRUE_TOKENS, DatasetSpec, load_specs
from accrete.tables import DatasetTables

HOLDOUT_BUCKETS = 10_000
LINEAGE_COLUMNS = ("_row_id", "_batch", "_line", "_file_sha256", "_ingested_at", "_run_id")
HEADER = "-- Generated from datasets/{name}/spec.yaml by accrete.transform.dbt_models: edit the spec, not this file.\n"


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_list(values: list[str] | tuple[str, ...]) -> str:
    return ", ".join(sql_string(value) for value in values)


DAILY_TAG = "daily"
PARTITION_START = "ACCRETE_PARTITION_START"
PARTITION_END = "ACCRETE_PARTITION_END"
PARTITION_RANGE = (
    f'_batch between \'{{{{ env_var("{PARTITION_START}", "0000-00-00") }}}}\' '
    f'and \'{{{{ env_var("{PARTITION_END}", "9999-99-99") }}}}\''
)
"""A daily model's filter: the days Dagster's run sets in the environment (every day when run by hand).
Environment variables rather than dbt vars, so that dbt's partial parsing survives a new day."""


def dataset_tag(name: str) -> str:
    """The dbt tag of every model of dataset ``name`` (Dagster selects models by it)."""
    return f"dataset_{name}"


def _config(materialized: str, schema: str, group: str, tags: list[str] | None = None, **extra: str) -> str:
    options = [f"materialized={sql_string(materialized)}", f"schema={sql_string(schema)}"]
    if tags:
        options.append(f"tags=[{sql_list(tags)}]")
    options += [f"{key}={value}" for key, value in extra.items()]
    options.append("meta={'dagster': {'group': " + sql_string(group) + "}}")
    return "{{ config(" + ", ".join(options) + ") }}\n\n"


def _lineage_select(prefix: str = "") -> str:
    return ",\n        ".join(f"{prefix}{column}" for column in LINEAGE_COLUMNS)


def _typed_expression(name: str, spec: DatasetSpec) -> str:
    column = spec.columns[name]
    if column.type == "numerical":
        target = "bigint" if column.integer else "double"
        return f"cast(cast({name} as double) as {target})"
    if column.type == "datetime":
        if column.datetime_format:
            return f"strptime({name}, {sql_string(column.datetime_format)})"
        return f"cast({name} as timestamp)"
    if column.type == "boolean":
        return (
            f"case when lower({name}) in ({sql_list(TRUE_TOKENS)}) then true "
            f"when lower({name}) in ({sql_list(FALSE_TOKENS)}) then false end"
        )
    if column.aliases:
        cases = " ".join(
            f"when {sql_string(old)} then {sql_string(new)}" for old, new in column.aliases.items()
        )
        return f"case {name} {cases} else {name} end"
    return name


def render_staging(spec: DatasetSpec) -> str:
    """Types, missing-value tokens to NULL, trimming, identifiers dropped, re-deliveries removed."""
    columns = list(spec.modelled_columns)
    tokens = sql_list(spec.format.missing_tokens)
    trimmed = ",\n        ".join(
        f"case when trim({name}) in ({tokens}) then null else trim({name}) end as {name}" for name in columns
    )
    typed = ",\n        ".join(f"{_typed_expression(name, spec)} as {name}" for name in columns)
    holdout_key = (
        " || '|' || ".join(f"coalesce(cast({key} as varchar), '')" for key in spec.record_key)
        if spec.record_key
        else "_row_id"
    )
    if spec.record_key:
        dedupe = (
            "deduplicated as (\n"
            "    -- a record delivered again (same record key) keeps its latest delivery only\n"
            "    select * from typed\n"
            f"    qualify row_number() over (\n        partition by {', '.join(spec.record_key)}\n"
            "        order by _ingested_at desc, _batch desc, _line desc\n    ) = 1\n),\n\n"
        )
        final_source = "deduplicated"
    else:
        dedupe = ""
        final_source = "typed"
    holdout_cut = round(spec.holdout_fraction * HOLDOUT_BUCKETS)
    return (
        HEADER.format(name=spec.name)
        + _config("view", "staging", "clean", _tags(spec, daily=True))
        + f"with source as (\n\n    select * from {{{{ source('raw', '{spec.name}') }}}}\n\n),\n\n"
        + "trimmed as (\n    -- every value trimmed; the spec's missing-value tokens become NULL;"
        + " identifier columns are not carried over\n"
        + f"    select\n        {_lineage_select()},\n        {trimmed}\n    from source\n\n),\n\n"
        + "typed as (\n    -- declared types; category aliases mapped to their canonical value\n"
        + f"    select\n        {_lineage_select()},\n        {typed}\n    from trimmed\n\n),\n\n"
        + dedupe
        + "final as (\n    -- a fixed pseudo-random holdout: a row's side depends only on its key, never on"
        + " what else has arrived\n"
        + f"    select\n        *,\n        md5_number({holdout_key}) % {HOLDOUT_BUCKETS} < {holdout_cut} as _is_holdout\n"
        + f"    from {final_source}\n\n)\n\nselect * from final\n"
    )


def _range_condition(name: str, spec: DatasetSpec) -> str | None:
    column = spec.columns[name]
    conditions = []
    if column.min is not None:
        conditions.append(f"{name} >= {column.min:g}")
    if column.max is not None:
        conditions.append(f"{name} <= {column.max:g}")
    return " and ".join(conditions) or None


def _ranked_mode_cte(cte: str, name: str, groups: list[str]) -> str:
    keys = ", ".join(groups)
    return (
        f"{cte} as (\n"
        f"    select {keys}, {name} as {name}_mode\n    from (\n"
        f"        select {keys}, {name},\n"
        f"            row_number() over (partition by {keys} order by count(*) desc, {name}) as rank\n"
        f"        from validated\n        where {name} is not null\n        group by {keys}, {name}\n"
        "    )\n    where rank = 1\n\n),\n\n"
    )


def _mode_ctes(name: str, group_by: list[str], base: list[str]) -> str:
    """Deterministic modes (ties broken by value) of a categorical column, per group and overall;
    ``base`` (a daily dataset's day) scopes both, so a day's imputation never depends on other days."""
    per_group = _ranked_mode_cte(f"{name}_group_mode", name, base + group_by) if group_by else ""
    if base:
        return per_group + _ranked_mode_cte(f"{name}_overall_mode", name, base)
    overall = (
        f"{name}_overall_mode as (\n"
        f"    select {name} as {name}_mode\n    from validated\n    where {name} is not null\n"
        f"    group by {name}\n    order by count(*) desc, {name}\n    limit 1\n\n),\n\n"
    )
    return per_group + overall


def _tags(spec: DatasetSpec, daily: bool) -> list[str]:
    return [dataset_tag(spec.name)] + ([DAILY_TAG] if daily and spec.partitions else [])


REPLACE_BY_BATCH = {
    "unique_key": "'_batch'",
    "incremental_strategy": "'delete+insert'",
    "on_schema_change": "'fail'",
}
"""Incremental models keep each batch's rows under delete+insert: loading a batch again replaces it."""


def render_clean(spec: DatasetSpec) -> str:
    """Validity rules from the spec, then group-wise median/mode imputation with missing flags."""
    tables = DatasetTables(spec.name)
    columns = list(spec.modelled_columns)
    imputed = spec.imputation.columns
    group_by = spec.imputation.group_by
    base = ["_batch"] if spec.partitions else []
    validated_columns = []
    required_rules = [PARTITION_RANGE] if spec.partitions else []
    for name in columns:
        rule = _range_condition(name, spec)
        if rule and name in imputed:
            validated_columns.append(f"case when {rule} then {name} end as {name}")
        else:
            validated_columns.append(name)
            if rule:
                required_rules.append(f"({rule})")
    where = ("\n    where " + "\n        and ".join(required_rules)) if required_rules else ""

    categorical_imputed = [name for name in imputed if spec.columns[name].type != "numerical"]
    mode_ctes = "".join(_mode_ctes(name, group_by, base) for name in categorical_imputed)
    partition = f"partition by {', '.join(base + group_by)}" if base + group_by else ""
    overall = f"partition by {', '.join(base)}" if base else ""
    output, joins = [], []
    for name in columns:
        if name not in imputed:
            output.append(f"validated.{name}")
        elif spec.columns[name].type == "numerical":
            group_median = f"median(validated.{name}) over ({partition})"
            overall_median = f"median(validated.{name}) over ({overall})"
            expression = f"coalesce(validated.{name}, {group_median}, {overall_median})"
            if spec.columns[name].integer:
                expression = f"cast(round({expression}) as bigint)"
            output.append(f"{expression} as {name}")
        else:
            sources = [f"validated.{name}"]
            if group_by:
                sources.append(f"{name}_group_mode.{name}_mode")
                joins.append(f"left join {name}_group_mode using ({', '.join(base + group_by)})")
            sources.append(f"{name}_overall_mode.{name}_mode")
            joins.append(
                f"left join {name}_overall_mode using ({', '.join(base)})"
                if base
                else f"cross join {name}_overall_mode"
            )
            output.append(f"coalesce({', '.join(sources)}) as {name}")
    output += [f"validated.{name} is null as {name}{MISSING_FLAG_SUFFIX}" for name in imputed]
    output.append("validated._is_holdout")
    select = ",\n        ".join([_lineage_select("validated.")] + output)
    join_sql = ("\n    " + "\n    ".join(joins)) if joins else ""
    return (
        HEADER.format(name=spec.name)
        + _config(
            "incremental" if spec.partitions else "table",
            "clean",
            "clean",
            _tags(spec, daily=True),
            **(REPLACE_BY_BATCH if spec.partitions else {}),
        )
        + f"with staged as (\n\n    select * from {{{{ ref('{tables.staged_model}') }}}}\n\n),\n\n"
        + "validated as (\n    -- validity rules: an imputable value outside its allowed range counts as"
        + " missing;\n    -- a row whose required value breaks its rule is rejected\n"
        + f"    select\n        {_lineage_select()},\n        "
        + ",\n        ".join(validated_columns)
        + ",\n        _is_holdout\n    from staged"
        + where
        + "\n\n),\n\n"
        + mode_ctes
        + "imputed as (\n    -- missing values filled with their group's median (numbers) or mode (categories),"
        + " flagged\n"
        + f"    select\n        {select}\n    from validated{join_sql}\n\n)\n\n"
        + "select * from imputed\n"
    )


def render_accumulated(spec: DatasetSpec) -> str:
    """Every real batch so far; a batch is (re)inserted only when it is new or its file changed
    (a daily dataset: the days Dagster runs, each replacing that day's rows)."""
    tables = DatasetTables(spec.name)
    config = _config(
        "incremental",
        "real",
        "real",
        _tags(spec, daily=True),
        **REPLACE_BY_BATCH,
    )
    source = f"select * from {{{{ ref('{tables.clean_model}') }}}}\n"
    if spec.partitions:
        return HEADER.format(name=spec.name) + config + source + f"where {PARTITION_RANGE}\n"
    return (
        HEADER.format(name=spec.name)
        + config
        + source
        + "{% if is_incremental() %}\n"
        + "-- only batches not yet accumulated, or re-delivered with different content\n"
        + "where _batch || ':' || _file_sha256 not in (\n"
        + "    select distinct _batch || ':' || _file_sha256 from {{ this }}\n)\n"
        + "{% endif %}\n"
    )


def render_split(spec: DatasetSpec, holdout: bool) -> str:
    tables = DatasetTables(spec.name)
    condition = "_is_holdout" if holdout else "not _is_holdout"
    return (
        HEADER.format(name=spec.name)
        + _config("view", "real", "real", _tags(spec, daily=False))
        + f"select * from {{{{ ref('{tables.accumulated_model}') }}}}\nwhere {condition}\n"
    )


def _column_docs(spec: DatasetSpec, with_rules: bool) -> list[dict]:
    documented = []
    for name, column in spec.modelled_columns.items():
        entry: dict = {"name": name, "description": column.description or name}
        if with_rules:
            tests: list = ["not_null"]
            if column.categories is not None:
                tests.append({"accepted_values": {"arguments": {"values": list(column.categories)}}})
            if column.type == "numerical" and (column.min is not None or column.max is not None):
                tests.append(
                    {"accrete_in_range": {"arguments": {"min_value": column.min, "max_value": column.max}}}
                )
            entry["data_tests"] = tests
        documented.append(entry)
    if with_rules:
        documented += [
            {
                "name": f"{name}{MISSING_FLAG_SUFFIX}",
                "description": f"True where {name} was missing or invalid and has been imputed",
                "data_tests": ["not_null"],
            }
            for name in spec.imputation.columns
        ]
    return documented


def render_schema(spec: DatasetSpec) -> str:
    """Sources (linked to the ingestion asset) and models with descriptions and tests."""
    tables = DatasetTables(spec.name)
    row_id = {
        "name": "_row_id",
        "description": "Row provenance: landing batch and line",
        "data_tests": ["unique", "not_null"],
    }
    staged_tests = []
    if spec.record_key:
        staged_tests = [{"accrete_unique_combination": {"arguments": {"columns": spec.record_key}}}]
    document = {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": "raw",
                "tables": [
                    {
                        "name": spec.name,
                        "description": f"Landing files of {spec.name} as delivered (all text).",
                        "meta": {"dagster": {"asset_key": [f"raw_{spec.name}"]}},
                    }
                ],
            }
        ],
        "models": [
            {
                "name": tables.staged_model,
                "description": f"{spec.name}: typed, trimmed, identifiers dropped, re-deliveries removed.",
                "data_tests": staged_tests,
                "columns": [row_id, *_column_docs(spec, with_rules=False)],
            },
            {
                "name": tables.clean_model,
                "description": f"{spec.name}: validity rules applied and missing values imputed, with flags.",
                "columns": [row_id, *_column_docs(spec, with_rules=True)],
            },
            {
                "name": tables.accumulated_model,
                "description": f"{spec.name}: every real row received so far; batches are never dropped.",
                "columns": [row_id],
            },
            {
                "name": tables.train_model,
                "description": f"{spec.name}: accumulated rows a generator may learn from.",
            },
            {"name": tables.holdout_model, "description": f"{spec.name}: real rows no generator ever sees."},
        ],
    }
    return HEADER.format(name=spec.name).replace("--", "#") + yaml.safe_dump(document, sort_keys=False)


def render_dataset_models(spec: DatasetSpec) -> dict[str, str]:
    """File name -> content of every dbt file for one dataset."""
    tables = DatasetTables(spec.name)
    return {
        f"_{spec.name}__schema.yml": render_schema(spec),
        f"{tables.staged_model}.sql": render_staging(spec),
        f"{tables.clean_model}.sql": render_clean(spec),
        f"{tables.accumulated_model}.sql": render_accumulated(spec),
        f"{tables.train_model}.sql": render_split(spec, holdout=False),
        f"{tables.holdout_model}.sql": render_split(spec, holdout=True),
    }


def write_models(specs: dict[str, DatasetSpec], models_dir: Path) -> list[Path]:
    """Render every dataset into ``models_dir/<name>/``; folders of datasets without a spec are removed.

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
        rendered = render_dataset_models(spec)
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
    written = write_models(load_specs(arguments.specs), arguments.out)
    print(f"dbt models: {len(written)} file(s) written under {arguments.out}")


if __name__ == "__main__":
    main()
