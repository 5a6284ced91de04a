"""Drift of newly arrived real data from the data a generator learned, and the retrain decision.

A daily dataset's generator is trained again after ``retrain.every_partitions`` new days, or
sooner when the new days differ from the learned ones by more than ``retrain.max_drift`` in
any column: the Kolmogorov-Smirnov distance for numbers and datetimes, the total variation
distance for categories and flags (both 0 for identical distributions, 1 for disjoint ones).

Drift asks whether new days are *different data*, not whether they are *other days*, so the
calendar is taken out first:
- columns that name the day (one value within every day: ``year``, ``month``, ``day``) and columns
  the spec marks ``trend: true`` are not compared at all;
- datetimes are compared by time of day, the part of a timestamp that does not run with the
  calendar;
- categories each holding less than ``MIN_CATEGORY_SHARE`` of both sides are compared as one
  pooled "other" category: a week and a day share few of thousands of tail numbers by chance, and
  the generator does not emit rare values verbatim anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from accrete.spec import DatasetSpec, RetrainSpec
from accrete.table_schema import TableSchema

MIN_CATEGORY_SHARE = 0.01
_OTHER = "<other>"
_MISSING = "<missing>"
_SECONDS_PER_DAY = 86_400


def _ks_distance(reference: pd.Series, new: pd.Series) -> float:
    left = np.sort(reference.dropna().to_numpy(dtype="float64"))
    right = np.sort(new.dropna().to_numpy(dtype="float64"))
    if len(left) == 0 or len(right) == 0:
        return float(len(left) != len(right))
    points = np.concatenate([left, right])
    cdf_left = np.searchsorted(left, points, side="right") / len(left)
    cdf_right = np.searchsorted(right, points, side="right") / len(right)
    return float(np.max(np.abs(cdf_left - cdf_right)))


def _total_variation(reference: pd.Series, new: pd.Series) -> float:
    left = reference.astype("string").fillna(_MISSING).value_counts(normalize=True)
    right = new.astype("string").fillna(_MISSING).value_counts(normalize=True)
    both = left.index.union(right.index)
    left, right = left.reindex(both, fill_value=0.0), right.reindex(both, fill_value=0.0)
    rare = (left < MIN_CATEGORY_SHARE) & (right < MIN_CATEGORY_SHARE)
    gap = (left[~rare] - right[~rare]).abs().sum() + abs(left[rare].sum() - right[rare].sum())
    return float(0.5 * gap)


def _time_of_day(values: pd.Series) -> pd.Series:
    """Seconds since midnight: a timestamp with its calendar date taken out."""
    timestamps = pd.to_datetime(values)
    return (timestamps - timestamps.dt.normalize()).dt.total_seconds() % _SECONDS_PER_DAY


def calendar_columns(rows: pd.DataFrame, schema: TableSchema, day_column: str) -> set[str]:
    """Columns that name the day: a single value within every day of ``rows`` (two days at least)."""
    days = rows.groupby(day_column, sort=False)
    if days.ngroups < 2:
        return set()
    return {
        column.name
        for column in schema.columns
        if column.kind != "datetime" and (days[column.name].nunique(dropna=False) <= 1).all()
    }


def columns_not_compared(spec: DatasetSpec, rows: pd.DataFrame, day_column: str = "_batch") -> set[str]:
    """What drift leaves out for ``spec`` on ``rows``: the columns that name the day, and trend columns."""
    trend = {name for name, column in spec.columns.items() if column.trend}
    return calendar_columns(rows, spec.training_schema, day_column) | trend


def column_drift(
    reference: pd.DataFrame, new: pd.DataFrame, schema: TableSchema, excluded: set[str] = frozenset()
) -> dict[str, float]:
    """Distance in [0, 1] between ``reference`` and ``new`` for every column of ``schema`` not ``excluded``."""
    drift = {}
    for column in schema.columns:
        if column.name in excluded:
            continue
        if column.kind == "numerical":
            drift[column.name] = _ks_distance(reference[column.name], new[column.name])
        elif column.kind == "datetime":
            drift[column.name] = _ks_distance(
                _time_of_day(reference[column.name]), _time_of_day(new[column.name])
            )
        else:
            drift[column.name] = _total_variation(reference[column.name], new[column.name])
    return {name: round(value, 4) for name, value in drift.items()}


@dataclass(frozen=True)
class RetrainDecision:
    due: bool
    reason: str


def retrain_decision(
    has_generator: bool, new_partitions: int, drift: dict[str, float], policy: RetrainSpec
) -> RetrainDecision:
    """Whether the generator should be trained again, and why (for run logs and the UI)."""
    if not has_generator:
        return RetrainDecision(True, "no generator has been trained yet")
    if new_partitions == 0:
        return RetrainDecision(False, "no new days since the generator was trained")
    worst = max(drift, key=drift.get) if drift else None
    if worst is not None and drift[worst] > policy.max_drift:
        return RetrainDecision(
            True, f"column {worst!r} drifted by {drift[worst]:.3f} (> max_drift {policy.max_drift:g})"
        )
    if new_partitions >= policy.every_partitions:
        return RetrainDecision(True, f"{new_partitions} new days (retrain every {policy.every_partitions})")
    return RetrainDecision(
        False,
        f"{new_partitions} of {policy.every_partitions} new days, largest drift "
        f"{drift[worst] if worst else 0:.3f} <= {policy.max_drift:g}",
    )
