"""Identifier leakage: no direct identifier and no contact or national-id string in synthetic output.

Direct-identifier columns (names, emails, record numbers) are dropped before training, so
none of their real values should ever reach a synthetic table. The gate looks for them in
every text column of the synthetic table and in any column named like an identifier column
(numbers are only compared there: a numeric id such as 42 would otherwise match every age of
42). It also scans every text column for strings shaped like an email address, a phone
number, a US social security number or a UK national insurance number, whatever their origin.
Patterns are matched on distinct values, so the cost follows the number of distinct strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from accrete.validation.markdown import markdown_table
from accrete.validation.outcome import GateOutcome

PII_PATTERNS: dict[str, re.Pattern[str]] = {
    "an email address": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    "a phone number": re.compile(
        r"(?<![\w-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]?\d{3,4}(?![\w-])"
        r"|(?<![\w-])\+\d{9,14}(?![\w-])"
    ),
    "a US social security number": re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])"),
    "a UK national insurance number": re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"),
}
EXAMPLE_ROWS = 5


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [
        name for name in frame.columns if not is_numeric_dtype(frame[name]) and not is_bool_dtype(frame[name])
    ]


def _value_counts(values: pd.Series) -> pd.Series:
    """Rows per distinct non-missing value, as text."""
    return values.dropna().astype(str).value_counts()


def identifier_leakage_gate(
    synthetic: pd.DataFrame,
    identifier_values: Mapping[str, Iterable[object]] | None = None,
    patterns: Mapping[str, re.Pattern[str]] = PII_PATTERNS,
) -> GateOutcome:
    """Fails when a real identifier value or a PII-shaped string appears anywhere in ``synthetic``.

    ``identifier_values`` maps each direct-identifier column of the spec to its real values
    (read from the raw table, before staging dropped them).
    """
    findings: list[dict[str, object]] = []
    text_columns = _text_columns(synthetic)
    for identifier, values in (identifier_values or {}).items():
        known = {str(value) for value in values if not pd.isna(value)}
        extra = [identifier] if identifier in synthetic and identifier not in text_columns else []
        for column in [*text_columns, *extra]:
            counts = _value_counts(synthetic[column])
            findings += [
                {"column": column, "found": f"a real {identifier!r} value", "value": value, "rows": rows}
                for value, rows in counts[counts.index.isin(known)].items()
            ]
    for column in text_columns:
        counts = _value_counts(synthetic[column])
        distinct = counts.index.to_series()
        for label, pattern in patterns.items():
            matching = counts[distinct.str.contains(pattern).to_numpy()]
            findings += [
                {"column": column, "found": label, "value": value, "rows": rows}
                for value, rows in matching.items()
            ]

    found = pd.DataFrame(findings, columns=["column", "found", "value", "rows"])
    if found.empty:
        summary = (
            f"No real identifier value and no email, phone or national-id-like string appears in the "
            f"{len(text_columns)} text columns of {len(synthetic):,} synthetic rows."
        )
        return GateOutcome("identifier_leakage", True, summary, {"leaking_cells": 0.0})
    by_column = (
        found.groupby(["column", "found"])["rows"]
        .sum()
        .sort_values(ascending=False)
        .rename("cells")
        .reset_index()
    )
    worst = by_column.iloc[0]
    total = int(found["rows"].sum())
    summary = (
        f"{total:,} synthetic cells hold identifiers; the worst column is {worst['column']!r} "
        f"with {int(worst['cells']):,} cells holding {worst['found']}."
    )
    details = (
        "### Identifier-like values by column\n\n"
        + markdown_table(by_column)
        + "\n\n### Examples\n\n"
        + markdown_table(found.sort_values("rows", ascending=False), EXAMPLE_ROWS)
    )
    return GateOutcome("identifier_leakage", False, summary, {"leaking_cells": float(total)}, details)
