"""A great-expectations 1.x suite generated from the dataset spec, run on a DataFrame.

The same suite checks the cleaned real data and the synthetic data: every column exists
with its declared type, numbers stay in their ranges, categories stay in their allowed
set, nothing is null after imputation, and the row count is as expected.
"""

from __future__ import annotations

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # offline by design: no usage statistics

import great_expectations as gx  # noqa: E402
import pandas as pd  # noqa: E402

from accrete.spec import DatasetSpec  # noqa: E402
from accrete.validation.outcome import GateOutcome  # noqa: E402

TYPE_LISTS = {
    "integer": ["int8", "int16", "int32", "int64", "Int8", "Int16", "Int32", "Int64"],
    "float": ["float32", "float64", "Float32", "Float64", "int64", "Int64"],
    "categorical": ["object", "string", "str", "category"],
    "boolean": ["bool", "boolean"],
    "datetime": ["datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"],
}


def _type_list(spec: DatasetSpec, column: str) -> list[str]:
    column_spec = spec.modelled_columns[column]
    if column_spec.type == "numerical":
        return TYPE_LISTS["integer" if column_spec.integer else "float"]
    return TYPE_LISTS[column_spec.type]


def build_suite(spec: DatasetSpec, min_rows: int, max_rows: int | None) -> gx.ExpectationSuite:
    """The expectations the spec implies for a table of its training columns."""
    suite = gx.ExpectationSuite(name=f"{spec.name}_spec_suite")
    suite.add_expectation(
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=min_rows, max_value=max_rows)
    )
    for name in spec.training_schema.names:
        suite.add_expectation(gx.expectations.ExpectColumnToExist(column=name))
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=name))
        flag = name not in spec.modelled_columns
        suite.add_expectation(
            gx.expectations.ExpectColumnValuesToBeInTypeList(
                column=name, type_list=TYPE_LISTS["boolean"] if flag else _type_list(spec, name)
            )
        )
        if flag:
            continue
        column = spec.modelled_columns[name]
        if column.type == "numerical" and (column.min is not None or column.max is not None):
            suite.add_expectation(
                gx.expectations.ExpectColumnValuesToBeBetween(
                    column=name, min_value=column.min, max_value=column.max
                )
            )
        if column.categories is not None:
            suite.add_expectation(
                gx.expectations.ExpectColumnValuesToBeInSet(column=name, value_set=list(column.categories))
            )
    return suite


def _describe_failure(result) -> str:
    config = result.expectation_config
    column = config.kwargs.get("column", "(table)")
    details = result.result or {}
    if "unexpected_count" in details:
        examples = ", ".join(repr(value) for value in (details.get("partial_unexpected_list") or [])[:3])
        return (
            f"| `{column}` | {config.type} | {details['unexpected_count']} rows "
            f"({details.get('unexpected_percent', 0):.2f}%) off, e.g. {examples} |"
        )
    observed = details.get("observed_value", "n/a")
    return f"| `{column}` | {config.type} | observed {observed} |"


SUITE_CHECK = "spec_expectations"
"""The name of the suite's check, on the clean table and on the synthetic table alike."""


def suite_outcome_name(label: str) -> str:
    """The verdict name of the suite run on the ``label`` table (``clean`` or ``synthetic``)."""
    return f"great_expectations_{label}"


def run_suite(
    frame: pd.DataFrame, spec: DatasetSpec, min_rows: int, max_rows: int | None, label: str
) -> GateOutcome:
    """Validate ``frame`` against the spec's suite; the outcome lists each failed expectation."""
    context = gx.get_context(mode="ephemeral")
    batch_definition = (
        context.data_sources.add_pandas(f"{spec.name}_{label}")
        .add_dataframe_asset(label)
        .add_batch_definition_whole_dataframe("whole_table")
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    suite = build_suite(spec, min_rows, max_rows)
    result = batch.validate(suite, result_format="SUMMARY")
    failures = [item for item in result.results if not item.success]
    total = len(result.results)
    if failures:
        summary = (
            f"{len(failures)} of {total} expectations from the {spec.name} spec failed on the {label} table "
            f"({len(frame):,} rows)."
        )
        details = "| column | expectation | how far off |\n|---|---|---|\n" + "\n".join(
            _describe_failure(item) for item in failures
        )
    else:
        summary = f"All {total} expectations from the {spec.name} spec hold on the {label} table ({len(frame):,} rows)."
        details = ""
    return GateOutcome(
        name=suite_outcome_name(label),
        passed=not failures,
        summary=summary,
        metrics={"expectations": total, "failed": len(failures), "rows": len(frame)},
        details_md=details,
    )
