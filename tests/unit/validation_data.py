"""Small real Adult tables shared by the validation tests, each built once per test session."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from accrete.generator.sdv_backends import GaussianCopulaBackend
from bench.adult import ADULT_SCHEMA, load_adult

TRAIN_ROWS = 3_000
HOLDOUT_ROWS = 3_000
FRESH_ROWS = 3_000


@cache
def _train() -> pd.DataFrame:
    return load_adult("train").sample(n=TRAIN_ROWS, random_state=0).reset_index(drop=True)


@cache
def _test_rows() -> pd.DataFrame:
    return load_adult("test").sample(n=HOLDOUT_ROWS + FRESH_ROWS, random_state=0).reset_index(drop=True)


@cache
def _holdout() -> pd.DataFrame:
    return _test_rows().head(HOLDOUT_ROWS).reset_index(drop=True)


@cache
def _gaussian_copula_sample() -> pd.DataFrame:
    backend = GaussianCopulaBackend(ADULT_SCHEMA, seed=0)
    backend.fit(_train())
    return backend.sample(TRAIN_ROWS)


def train() -> pd.DataFrame:
    """3,000 real training rows (a copy: tests may change it)."""
    return _train().copy()


def holdout() -> pd.DataFrame:
    """3,000 real rows from Adult's test file, which no generator here was fitted on."""
    return _holdout().copy()


def fresh() -> pd.DataFrame:
    """3,000 more real rows from Adult's test file, none of them in ``holdout()``: a perfect generator's output."""
    return _test_rows().tail(FRESH_ROWS).reset_index(drop=True)


def gaussian_copula_sample() -> pd.DataFrame:
    """3,000 rows from a GaussianCopula fitted on ``train()``: a reasonable, non-copying generator."""
    return _gaussian_copula_sample().copy()


def shuffled_columns(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Each column permuted independently: every column's shape is kept, every relationship destroyed."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({name: rng.permutation(frame[name].to_numpy()) for name in frame.columns})
