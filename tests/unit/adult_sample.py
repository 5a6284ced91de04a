"""Rows of the vendored UCI Adult training split, typed as the tests' generators expect."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from accrete.table_schema import ModelColumn, TableSchema

ADULT_TRAIN = Path(__file__).resolve().parents[2] / "landing" / "adult" / "adult-train.csv.gz"
COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
    "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country",
    "income",
]  # fmt: skip
NUMERICAL = {"age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"}


def adult_rows(rows: int | None = None) -> pd.DataFrame:
    """The first ``rows`` rows of Adult's training split; ``?`` read as missing."""
    frame = pd.read_csv(
        ADULT_TRAIN, header=None, names=COLUMNS, skipinitialspace=True, na_values="?", nrows=rows
    )
    return frame


def adult_schema() -> TableSchema:
    """Adult's columns: integers for the numerical ones, categories learned from the data."""
    return TableSchema(
        columns=tuple(
            ModelColumn(name, "numerical", integer=True)
            if name in NUMERICAL
            else ModelColumn(name, "categorical")
            for name in COLUMNS
        )
    )
