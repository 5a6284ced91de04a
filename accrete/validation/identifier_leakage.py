"""Identifier leakage: no real identifier and no string shaped like personal data in synthetic output.

Direct-identifier columns (names, emails, record numbers) are dropped before training, so
none of their real values should reach a synthetic table. The gate looks in every text column
of the synthetic table (and in any column that kept an identifier column's name) for:

- a real value of an identifier column, matched as a whole cell (trimmed, case-insensitive,
  ``42.0`` as ``42``). Only distinctive values count: a value that is also a legitimate value
  of the column it appears in, in the real training rows, is not a leak (record number ``1``
  in a flag column whose real rows hold ``1``);
- a full name: a cell whose words include a real value of a first-name column and a real
  value of a last-name column (columns named like ``first_name``/``given_name`` and
  ``last_name``/``surname``), each distinctive in that column;
- a string shaped like personal data whatever its origin (``pii_patterns``): emails, phone
  numbers, social security and national insurance numbers, IBANs, payment-card numbers.

Numeric columns are not searched: a record number such as 42 would match every age of 42.
Everything is matched on distinct values, so the cost follows the number of distinct strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from accrete.validation.markdown import markdown_table
from accrete.validation.outcome import GateOutcome
from accrete.validation.pii_patterns import PII_DETECTORS, PiiDetector, pii_label

FIRST_NAME_COLUMN = re.compile(r"first_?name|given_?name|forename")
LAST_NAME_COLUMN = re.compile(r"last_?name|surname|family_?name")
WORD = re.compile(r"[^\W\d_][\w'-]*")
EXAMPLE_ROWS = 5
FINDING_COLUMNS = ["column", "found", "value", "rows"]


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [
        name for name in frame.columns if not is_numeric_dtype(frame[name]) and not is_bool_dtype(frame[name])
    ]


def _normalised(value: object) -> str:
    """A value as comparable text: trimmed, case-folded, integral floats without ``.0``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().casefold()


def _known(values: Iterable[object]) -> set[str]:
    return {_normalised(value) for value in values if not pd.isna(value)}


def _value_counts(values: pd.Series) -> pd.Series:
    """Rows per distinct non-missing value, as text."""
    return values.dropna().astype(str).value_counts()


def _real_identifier_findings(
    column: str, counts: pd.Series, legitimate: set[str], identifiers: Mapping[str, set[str]]
) -> list[dict[str, object]]:
    findings = []
    for value, rows in counts.items():
        text = _normalised(value)
        if text in legitimate:
            continue
        owner = next((name for name, known in identifiers.items() if text in known), None)
        if owner is not None:
            findings.append(
                {"column": column, "found": f"a real {owner!r} value", "value": value, "rows": rows}
            )
    return findings


def _full_name_findings(
    column: str, counts: pd.Series, legitimate: set[str], first: set[str], last: set[str]
) -> list[dict[str, object]]:
    findings = []
    for value, rows in counts.items():
        words = {word.casefold() for word in WORD.findall(value)} - legitimate
        if words & first and words & last:
            findings.append({"column": column, "found": "a real full name", "value": value, "rows": rows})
    return findings


def _pii_findings(
    column: str, counts: pd.Series, detectors: tuple[PiiDetector, ...]
) -> list[dict[str, object]]:
    findings = []
    for value, rows in counts.items():
        label = pii_label(value, detectors)
        if label is not None:
            findings.append({"column": column, "found": label, "value": value, "rows": rows})
    return findings


def identifier_leakage_gate(
    synthetic: pd.DataFrame,
    train: pd.DataFrame,
    identifier_values: Mapping[str, Iterable[object]] | None = None,
    detectors: tuple[PiiDetector, ...] = PII_DETECTORS,
) -> GateOutcome:
    """Fails when a distinctive real identifier, a real full name or a PII-shaped string appears in ``synthetic``.

    ``identifier_values`` maps each direct-identifier column of the spec to its real values
    (read from the raw table, before staging dropped them); ``train`` holds the real training
    rows, whose values of a column are legitimate in that column.
    """
    identifiers = {name: _known(values) for name, values in (identifier_values or {}).items()}
    first = set().union(*(known for name, known in identifiers.items() if FIRST_NAME_COLUMN.search(name)))
    last = set().union(*(known for name, known in identifiers.items() if LAST_NAME_COLUMN.search(name)))
    text_columns = _text_columns(synthetic)
    searched = text_columns + [name for name in identifiers if name in synthetic and name not in text_columns]
    findings: list[dict[str, object]] = []
    for column in searched:
        counts = _value_counts(synthetic[column])
        legitimate = _known(train[column].dropna().unique()) if column in train else set()
        findings += _real_identifier_findings(column, counts, legitimate, identifiers)
        if first and last:
            findings += _full_name_findings(column, counts, legitimate, first, last)
        if column in text_columns:
            findings += _pii_findings(column, counts, detectors)

    found = pd.DataFrame(findings, columns=FINDING_COLUMNS).drop_duplicates(subset=["column", "value"])
    kinds = f"{len(identifiers)} identifier columns" if identifiers else "no identifier columns declared"
    if found.empty:
        summary = (
            f"No distinctive real identifier value ({kinds}), no real full name and no email, phone, "
            f"national-id, IBAN or card-number string appears in the {len(searched)} text columns of "
            f"{len(synthetic):,} synthetic rows."
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
