"""Rows of the vendored UCI Adult training split, typed as the tests' generators expect."""

from __future__ import annotations

import pandas as pd

from accrete.table_schema import TableSchema
from bench.adult import ADULT_SCHEMA, load_adult


def adult_rows(rows: int | None = None) -> pd.DataFrame:
    """The first ``rows`` rows of Adult's training split; ``?`` read as missing."""
    frame = load_adult("train")
    return frame if rows is None else frame.head(rows).reset_index(drop=True)


def adult_schema() -> TableSchema:
    """Adult's columns: integers for the numerical ones, categories learned from the data."""
    return ADULT_SCHEMA
