"""Mixed-type tables as numbers: distance features, classifier features and row hashes.

A ``TableEncoder`` is fitted on the real training rows and then encodes any table with the
same columns (training, holdout, synthetic) the same way:

- distance features: each numerical or datetime column is scaled by the real data's robust
  range (1st to 99th percentile) and bounded to half that range beyond either end, so one
  outlier cannot dominate; each categorical or boolean column is one-hot encoded with weight
  ``sqrt(1/2)``, so a mismatch costs exactly 1, like a full-range numerical difference. All
  features are divided by ``sqrt(number of columns)``: the squared Euclidean distance between
  two rows is the mean over columns of the squared per-column difference, and its square root
  (the distance every privacy metric reports) lies in [0, 2].
- classifier features: raw numbers (missing stays NaN) and integer category codes, with a mask
  telling a gradient-boosted tree which features are categorical.

Missing categorical values are a category of their own; categories never seen in the real data,
and those beyond the most frequent ``MAX_CATEGORIES``, share one "other" slot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from accrete.table_schema import TableSchema

MISSING = "\x00missing"
MAX_CATEGORIES = 250
ROBUST_QUANTILES = (0.01, 0.99)
OVERSHOOT = 0.5
CATEGORY_WEIGHT = np.sqrt(0.5)


def category_text(values: pd.Series) -> pd.Series:
    """Category values as strings, with missing values as their own category."""
    return values.astype("object").where(values.notna(), MISSING).astype(str)


def as_number(values: pd.Series, kind: str) -> np.ndarray:
    """Numbers or datetimes as float64 (datetimes in seconds), NaN where missing or unreadable."""
    if kind == "datetime":
        stamps = pd.to_datetime(values, errors="coerce")
        seconds = stamps.astype("int64").to_numpy(dtype=np.float64) / 1e9
        return np.where(stamps.isna().to_numpy(), np.nan, seconds)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class _NumericScale:
    low: float
    span: float
    median: float
    has_missing: bool


class TableEncoder:
    """Encodes tables with the schema's columns the way the real training rows were fitted."""

    def __init__(self, schema: TableSchema, real: pd.DataFrame):
        self.schema = schema
        self._scales: dict[str, _NumericScale] = {}
        self._categories: dict[str, pd.Index] = {}
        for column in schema.columns:
            if column.kind in ("numerical", "datetime"):
                values = as_number(real[column.name], column.kind)
                self._scales[column.name] = self._fit_scale(values)
            else:
                counts = category_text(real[column.name]).value_counts()
                self._categories[column.name] = pd.Index(counts.index[:MAX_CATEGORIES])

    @staticmethod
    def _fit_scale(values: np.ndarray) -> _NumericScale:
        present = values[~np.isnan(values)]
        if present.size == 0:
            return _NumericScale(low=0.0, span=1.0, median=0.0, has_missing=True)
        low, high = np.quantile(present, ROBUST_QUANTILES)
        span = high - low
        if span <= 0:
            span = present.max() - present.min()
        return _NumericScale(
            low=float(low),
            span=float(span) if span > 0 else 1.0,
            median=float(np.median(present)),
            has_missing=bool(present.size < values.size),
        )

    def _codes(self, frame: pd.DataFrame, name: str) -> np.ndarray:
        """Category codes in [0, len(categories)]; the last code is "other"."""
        categories = self._categories[name]
        codes = categories.get_indexer(category_text(frame[name]))
        return np.where(codes < 0, len(categories), codes)

    @property
    def distance_width(self) -> int:
        """The number of distance features."""
        numeric = sum(2 if scale.has_missing else 1 for scale in self._scales.values())
        return numeric + sum(len(categories) + 1 for categories in self._categories.values())

    def distance_features(self, frame: pd.DataFrame) -> np.ndarray:
        """Float32 features whose squared Euclidean distance is the mean squared column difference."""
        features = np.zeros((len(frame), self.distance_width), dtype=np.float32)
        position = 0
        for column in self.schema.columns:
            if column.kind in ("numerical", "datetime"):
                scale = self._scales[column.name]
                values = as_number(frame[column.name], column.kind)
                missing = np.isnan(values)
                scaled = (np.where(missing, scale.median, values) - scale.low) / scale.span
                features[:, position] = np.clip(scaled, -OVERSHOOT, 1 + OVERSHOOT)
                position += 1
                if scale.has_missing:
                    features[:, position] = missing
                    position += 1
            else:
                codes = self._codes(frame, column.name)
                features[np.arange(len(frame)), position + codes] = CATEGORY_WEIGHT
                position += len(self._categories[column.name]) + 1
        features /= np.sqrt(len(self.schema.columns))
        return features

    def classifier_features(self, frame: pd.DataFrame) -> np.ndarray:
        """One feature per schema column: numbers (NaN when missing) or category codes."""
        features = np.empty((len(frame), len(self.schema.columns)), dtype=np.float64)
        for position, column in enumerate(self.schema.columns):
            if column.kind in ("numerical", "datetime"):
                features[:, position] = as_number(frame[column.name], column.kind)
            else:
                features[:, position] = self._codes(frame, column.name)
        return features

    @property
    def categorical_mask(self) -> list[bool]:
        """Which classifier features are category codes."""
        return [column.kind not in ("numerical", "datetime") for column in self.schema.columns]


def row_hashes(frame: pd.DataFrame, schema: TableSchema, columns: list[str] | None = None) -> np.ndarray:
    """A 64-bit hash per row of ``columns`` (default: the schema's), equal for equal values.

    Values are normalised first (numbers as float64, datetimes as nanoseconds, categories as
    text, missing as its own value) so a row compares equal across tables whose dtypes differ,
    such as an integer column in the synthetic table and a float column with NaN in the real one.
    """
    names = columns if columns is not None else schema.names
    normalised = pd.DataFrame(index=range(len(frame)))
    for name in names:
        kind = schema.column(name).kind
        if kind in ("numerical", "datetime"):
            normalised[name] = as_number(frame[name], kind)
        else:
            normalised[name] = category_text(frame[name]).to_numpy()
    return pd.util.hash_pandas_object(normalised, index=False).to_numpy()
