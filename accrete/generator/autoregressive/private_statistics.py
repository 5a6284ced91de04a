"""A numerical column's token layout (point masses, quantile bins, within-bin knots) from a noisy
histogram: what the encoder reads from the data under a privacy budget.

The column's declared bounds (public: they are in the spec) are cut into cells, evenly in arcsinh
space so that cells are narrow near zero and grow with magnitude, as amounts do; the bounds and
zero are cells of their own, the candidates for point masses. There are as many cells as keep the
noise to about a tenth of the rows' mass (``NOISE_SHARE``): each cell's noise is 1 / epsilon on
average, so ``rows * epsilon * NOISE_SHARE`` cells, between ``MIN_CELLS`` and ``MAX_CELLS`` (the
row count is public, as in DP-SGD's sample rate). Every count gets
Laplace noise of scale 1 / epsilon: one row changes one count by one, so releasing the noisy
histogram is epsilon-differentially private, and everything computed from it (which candidates
are frequent enough to be masses, the quantiles that cut bins, the knots within them) is
post-processing that spends nothing more.
"""

from __future__ import annotations

import numpy as np

NOISE_SHARE = 0.1
MIN_CELLS, MAX_CELLS = 16, 1_024


def _grid(minimum: float, maximum: float, cells: int) -> np.ndarray:
    """The cells' edges in arcsinh space, where quantiles are interpolated (log-like within a cell)."""
    return np.linspace(np.arcsinh(minimum), np.arcsinh(maximum), cells + 1)


def private_layout(
    numbers: np.ndarray,
    minimum: float,
    maximum: float,
    bins: int,
    knots_per_bin: int,
    epsilon: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(masses, edges, knots) as ``NumericalEncoder.fit`` would set them, from an epsilon-DP
    histogram of ``numbers`` (no missing values, within [minimum, maximum])."""
    candidates = np.unique([minimum, maximum, *([0.0] if minimum <= 0 <= maximum else [])])
    cells = int(np.clip(round(len(numbers) * epsilon * NOISE_SHARE), MIN_CELLS, MAX_CELLS))
    grid = _grid(minimum, maximum, cells)
    at_candidate = np.isin(numbers, candidates)
    candidate_counts = np.array([(numbers == value).sum() for value in candidates], dtype=float)
    cell_counts = np.histogram(np.arcsinh(numbers[~at_candidate]), bins=grid)[0].astype(float)
    candidate_counts += rng.laplace(0.0, 1.0 / epsilon, len(candidate_counts))
    cell_counts += rng.laplace(0.0, 1.0 / epsilon, len(cell_counts))
    candidate_counts, cell_counts = candidate_counts.clip(0.0), cell_counts.clip(0.0)
    total = candidate_counts.sum() + cell_counts.sum()
    is_mass = candidate_counts >= total / bins if total > 0 else np.zeros(len(candidates), dtype=bool)
    masses = candidates[is_mass]
    # candidates too rare to be masses fall into the bins, as their rows do
    at_cell = np.clip(np.searchsorted(grid, np.arcsinh(candidates[~is_mass]), side="right") - 1, 0, cells - 1)
    np.add.at(cell_counts, at_cell, candidate_counts[~is_mass])
    # a small floor per cell keeps the CDF strictly increasing (an empty histogram: uniform)
    cell_counts += max(cell_counts.sum(), 1.0) * 1e-9
    cumulative = np.concatenate([[0.0], np.cumsum(cell_counts)])
    cumulative /= cumulative[-1]

    def quantile(shares: np.ndarray) -> np.ndarray:
        return np.sinh(np.interp(shares, cumulative, grid)).clip(minimum, maximum)

    bin_count = max(1, bins - len(masses))
    edges = np.unique(quantile(np.arange(1, bin_count) / bin_count))
    bounds = np.concatenate([[0.0], np.interp(np.arcsinh(edges), grid, cumulative), [1.0]])
    levels = np.linspace(0.0, 1.0, knots_per_bin + 1)
    knots = quantile(bounds[:-1, None] + levels[None, :] * np.diff(bounds)[:, None])
    return masses, edges, knots
