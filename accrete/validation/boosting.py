"""Gradient-boosted trees for the detection and utility gates, with a thread count that suits the fit.

scikit-learn's histogram gradient boosting parallelises with OpenMP, whose threads spin while
they wait for one another. On a small fit that synchronisation costs more than the split
search it parallelises, and on a busy CPU a spinning thread that loses its core stalls the
others: on the shared 2-core machine a 5,000-row fit took 10 s with two threads and 0.4 s with
one. So fits and predictions get one thread per ``ROWS_PER_THREAD`` rows, up to the CPU count.
"""

from __future__ import annotations

import os

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

ROWS_PER_THREAD = 50_000


def fit_threads(rows: int) -> int:
    """OpenMP threads for a fit on ``rows`` rows."""
    return int(np.clip(rows // ROWS_PER_THREAD, 1, os.cpu_count() or 1))


def boosting_threads(rows: int) -> threadpool_limits:
    """A context in which fits and predictions on about ``rows`` rows use ``fit_threads(rows)`` threads."""
    return threadpool_limits(limits=fit_threads(rows), user_api="openmp")


def boosted_classifier(categorical_mask: list[bool], seed: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=100, categorical_features=categorical_mask, early_stopping=False, random_state=seed
    )


def boosted_regressor(categorical_mask: list[bool], seed: int) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(
        max_iter=100, categorical_features=categorical_mask, early_stopping=False, random_state=seed
    )
