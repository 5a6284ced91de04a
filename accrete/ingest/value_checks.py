"""The values of a landing file checked against the spec, by the rule staging types them with.

Every value is trimmed and typed by the staging model's own casting rule
(``accrete.value_casts``), so a file that passes never fails in staging. Two kinds of problem:

- **row problems**, each tied to the rows it concerns: a value that cannot be read as its
  column's type, an unknown category, a number outside its column's [min, max], a required value
  missing. The spec's ``on_invalid`` decides whether they refuse the file or quarantine the rows.
- **column problems**, about the file as a whole: a column with no value in any row (unless its
  ``all_null`` option declares it empty), a column declared empty that has values. They always
  refuse the file.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from accrete.spec import FALSE_TOKENS, TRUE_TOKENS, ColumnSpec, DatasetSpec
from accrete.value_casts import read_values

EXAMPLES_SHOWN = 3


@dataclass(frozen=True)
class ValueCheck:
    """What is wrong with a landing file's values (nothing, when every list is empty)."""

    column_problems: list[str]
    row_problems: list[str]
    reasons: pd.Series
    """Line number -> why that row is invalid (every row problem of the row, joined by '; ')."""


@dataclass(frozen=True)
class _RowProblem:
    message: str
    reasons: pd.Series
    """Line number -> the reason, for every row the problem concerns."""


def _examples(values: pd.Series) -> str:
    shown = values.head(EXAMPLES_SHOWN)
    return ", ".join(f"{value!r} (line {line})" for line, value in shown.items())


def _lines(values: pd.Series) -> str:
    return ", ".join(str(line) for line in values.index[:EXAMPLES_SHOWN])


def _kind(column: ColumnSpec) -> str:
    """What a value of the column must be, as a person reads it."""
    if column.type == "numerical" and column.integer:
        return "an integer (a whole number within the 64-bit range)"
    if column.type == "numerical":
        return "a number (finite: NaN and infinity are refused)"
    if column.type == "datetime" and column.datetime_format:
        return f"a datetime in the format {column.datetime_format!r}"
    if column.type == "datetime":
        return "a datetime (ISO 8601, e.g. 2024-01-31 or 2024-01-31 08:30:00; set datetime_format for another layout)"
    return f"true/false (one of {', '.join(TRUE_TOKENS + FALSE_TOKENS)}, in any case)"


def _bounds(column: ColumnSpec) -> str:
    low = "-inf" if column.min is None else f"{column.min:g}"
    high = "inf" if column.max is None else f"{column.max:g}"
    return f"[{low}, {high}]"


def _row_problems(name: str, column: ColumnSpec, present: pd.Series, typed: pd.Series, spec: DatasetSpec):
    """The row problems of one modelled column."""
    missing = present[present.isna()]
    if name not in spec.imputation.columns and len(missing):
        yield _RowProblem(
            f"column '{name}' is required (not in imputation.columns) but {len(missing)} rows have no "
            f"value, e.g. lines {_lines(missing)}",
            pd.Series(f"{name}: no value (required)", index=missing.index),
        )
    unreadable = present[present.notna() & typed.isna()]
    if len(unreadable):
        kind = _kind(column)
        yield _RowProblem(
            f"column '{name}': {len(unreadable)} values cannot be read as {kind}: {_examples(unreadable)}",
            f"{name}: " + unreadable.map(repr) + f" cannot be read as {kind}",
        )
    if column.categories is not None:
        unknown = present[typed.notna() & ~typed.isin(column.categories)]
        if len(unknown):
            yield _RowProblem(
                f"column '{name}': {len(unknown)} values are unknown categories (not in the spec): "
                f"{_examples(unknown)}",
                f"{name}: unknown category " + unknown.map(repr),
            )
    if column.min is not None or column.max is not None:
        numbers = typed.astype("Float64")
        below = numbers < column.min if column.min is not None else False
        above = numbers > column.max if column.max is not None else False
        outside = present[(below | above).fillna(False).astype(bool)]
        if len(outside):
            yield _RowProblem(
                f"column '{name}': {len(outside)} values are outside its range {_bounds(column)}: "
                f"{_examples(outside)}",
                f"{name}: " + outside.map(repr) + f" is outside {_bounds(column)}",
            )


def _empty_column_problem(name: str, column: ColumnSpec, present: pd.Series) -> str | None:
    """A column with no value in the file, or one declared empty that has values; else None."""
    has_value = present[present.notna()]
    if column.all_null != "refuse":
        if len(has_value):
            return (
                f"column '{name}' is declared empty (all_null: {column.all_null}) but {len(has_value)} "
                f"rows have a value: {_examples(has_value)}; remove all_null to use its values"
            )
        return None
    if len(has_value) or column.type == "identifier":
        return None
    return (
        f"column '{name}' has no value in any of the file's {len(present)} rows; if it is expected to be "
        "empty, say so with all_null: keep (kept as a column without values, never imputed or learned) "
        "or all_null: drop (left out after the raw table)"
    )


def check_values(frame: pd.DataFrame, spec: DatasetSpec) -> ValueCheck:
    """The problems of ``frame`` (a landing file's text values under the spec's column keys, indexed
    by line number)."""
    present, typed = read_values(frame, spec)
    column_problems: list[str] = []
    row_problems: list[_RowProblem] = []
    for name in frame.columns:
        column = spec.columns[name]
        empty = _empty_column_problem(name, column, present[name])
        if empty:
            column_problems.append(empty)
        if name in spec.modelled_columns:
            row_problems += _row_problems(name, column, present[name], typed[name], spec)
    reasons = [problem.reasons for problem in row_problems]
    joined = (
        pd.concat(reasons).groupby(level=0, sort=True).agg("; ".join) if reasons else pd.Series(dtype=object)
    )
    return ValueCheck(column_problems, [problem.message for problem in row_problems], joined)
