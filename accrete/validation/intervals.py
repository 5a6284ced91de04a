"""95% confidence intervals for the statistics the gates judge: shares, their differences, quantiles, ROC AUC.

A gate that compares a synthetic table with real rows judges numbers estimated from samples;
it fails only when the interval says the difference is real, not when noise crosses a line.
"""

from __future__ import annotations

import numpy as np

Z_95 = 1.959964


def wilson_interval(successes: float, trials: int) -> tuple[float, float]:
    """95% Wilson score interval for a proportion."""
    if trials == 0:
        return 0.0, 1.0
    share = successes / trials
    denominator = 1 + Z_95**2 / trials
    centre = (share + Z_95**2 / (2 * trials)) / denominator
    half = Z_95 * np.sqrt(share * (1 - share) / trials + Z_95**2 / (4 * trials**2)) / denominator
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def difference_interval(
    successes: float, trials: int, baseline_successes: float, baseline_trials: int
) -> tuple[float, float]:
    """95% interval for ``successes/trials - baseline_successes/baseline_trials`` (Newcombe's hybrid score).

    Built from the two Wilson intervals, so it stays sensible when either rate is 0.
    """
    share = successes / trials if trials else 0.0
    baseline = baseline_successes / baseline_trials if baseline_trials else 0.0
    low, high = wilson_interval(successes, trials)
    baseline_low, baseline_high = wilson_interval(baseline_successes, baseline_trials)
    difference = share - baseline
    return (
        float(difference - np.hypot(share - low, baseline_high - baseline)),
        float(difference + np.hypot(high - share, baseline - baseline_low)),
    )


def percentile_interval(values: np.ndarray, quantile: float) -> tuple[float, float]:
    """95% distribution-free interval for a quantile, from the order statistics of a sample."""
    ordered = np.sort(values)
    count = len(ordered)
    spread = Z_95 * np.sqrt(count * quantile * (1 - quantile))
    low = int(np.clip(np.floor(count * quantile - spread), 0, count - 1))
    high = int(np.clip(np.ceil(count * quantile + spread), 0, count - 1))
    return float(ordered[low]), float(ordered[high])


def auc_interval(auc: float, positives: int, negatives: int) -> tuple[float, float]:
    """95% interval for a ROC AUC measured on ``positives`` and ``negatives`` rows (Hanley & McNeil)."""
    if positives == 0 or negatives == 0:
        return 0.0, 1.0
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)) / (
        positives * negatives
    )
    half = Z_95 * np.sqrt(max(variance, 0.0))
    return float(max(auc - half, 0.0)), float(min(auc + half, 1.0))
