"""The bundled UCI Adult files as typed frames, for the validation tests and benchmarks.

Reads the vendored landing files directly (headerless, ``", "``-separated, ``?`` for missing,
test labels ending in a dot) so that benchmarks and tests need no warehouse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from accrete.table_schema import ModelColumn, TableSchema

ADULT_FOLDER = Path(__file__).resolve().parents[1] / "landing" / "adult"
NUMERICAL = ("age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week")
COLUMNS = (
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
)
ADULT_SCHEMA = TableSchema(
    tuple(
        ModelColumn(name, "numerical", integer=True)
        if name in NUMERICAL
        else ModelColumn(name, "categorical")
        for name in COLUMNS
    )
)
SENSITIVE = ("race", "sex")
QUASI_IDENTIFIERS = ("age", "sex", "race", "native_country", "education", "marital_status")
TARGET = "income"


def load_adult(split: Literal["train", "test"]) -> pd.DataFrame:
    """One of the two Adult files (32,561 train rows, 16,281 test rows) with typed columns."""
    frame = pd.read_csv(
        ADULT_FOLDER / f"adult-{split}.csv.gz",
        header=None,
        names=list(COLUMNS),
        sep=",",
        skipinitialspace=True,
        na_values=["?"],
    )
    frame["income"] = frame["income"].str.rstrip(".")
    return frame.astype({name: "int64" for name in NUMERICAL})
