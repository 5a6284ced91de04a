"""Drift of newly arrived real data from the data a generator learned, and the retrain decision.

A daily dataset's generator is trained again after ``retrain.every_partitions`` new days, or
sooner when the new days differ from the learned ones by more than ``retrain.max_drift`` in
any column: the Kolmogorov-Smirnov distance for numbers and datetimes, the total variation
distance for categories and flags (both 0 for identical distributions, 1 for disjoint ones).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from accrete.spec import RetrainSpec
from accrete.table_schema import TableSchema


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
    left = reference.astype("string").fillna("<missing>").value_counts(normalize=True)
    right = new.astype("string").fillna("<missing>").value_counts(normalize=True)
    both = left.index.union(right.index)
    return float(0.5 * (left.reindex(both, fill_value=0) - right.reindex(both, fill_value=0)).abs().sum())


def column_drift(reference: pd.DataFrame, new: pd.DataFrame, schema: TableSchema) -> dict[str, float]:
    """Distance in [0, 1] between ``reference`` and ``new`` for every column of ``schema``."""
    drift = {}
    for column in schema.columns:
        if column.kind == "numerical":
            drift[column.name] = _ks_distance(reference[column.name], new[column.name])
        elif column.kind == "datetime":
            to_number = lambda values: pd.to_datetime(values).astype("int64")  # noqa: E731
            drift[column.name] = _ks_distance(to_number(reference[column.name]), to_number(new[column.name]))
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
