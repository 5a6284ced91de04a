"""Rebalancing: synthetic rows in which a column's groups have chosen shares, exactly.

Works with any backend that honours ``sample(conditions=...)``: each group's rows are
sampled conditioned on that group, so the counts are exact and no reject loop runs.
Groups without a target share split the remaining rows in the proportions the backend
itself produces (estimated from one bounded unconditional pilot sample).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from accrete.generator.base import GeneratorBackend, GeneratorError

PILOT_ROWS = 20_000
"""Most rows drawn to estimate the natural shares of the groups without a target."""


def group_counts(num_rows: int, shares: dict[Any, float]) -> dict[Any, int]:
    """Whole row counts proportional to ``shares`` (which sum to 1) that add up to ``num_rows``.

    Largest-remainder rounding: every count is within one row of its exact share.
    """
    values = list(shares)
    exact = np.array([shares[value] for value in values]) * num_rows
    counts = np.floor(exact).astype(int)
    leftover = num_rows - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:leftover]] += 1
    return {value: int(count) for value, count in zip(values, counts, strict=True)}


def _check_shares(shares: dict[Any, float]) -> float:
    if not shares:
        raise GeneratorError("rebalancing needs at least one target share")
    for value, share in shares.items():
        if not 0 <= share <= 1:
            raise GeneratorError(f"target share for {value!r} must lie in [0, 1], got {share}")
    total = float(sum(shares.values()))
    if total > 1 + 1e-9:
        raise GeneratorError(f"target shares add up to {total:.4f}, more than 1")
    return min(total, 1.0)


def pilot_sample(
    backend: GeneratorBackend, num_rows: int, seed: int, conditions: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Rows the backend samples unconditioned (but for ``conditions``): at most ``PILOT_ROWS`` of
    ``num_rows``, to estimate the shares it produces itself."""
    return backend.sample(min(num_rows, PILOT_ROWS), conditions=conditions or None, seed=seed)


def natural_shares(values: pd.Series) -> dict[Any, float]:
    """Each value's share of ``values`` (missing counted as a value), most frequent first."""
    return {value: float(share) for value, share in values.value_counts(normalize=True, dropna=False).items()}


def complete_shares(column: str, shares: dict[Any, float], pilot: pd.Series | None) -> dict[Any, float]:
    """``shares`` plus, when they add up to less than 1, the other values of ``column`` sharing the
    rest in their proportions among ``pilot`` (values the backend sampled; needed only then)."""
    targeted = _check_shares(shares)
    full_shares = dict(shares)
    if targeted >= 1 - 1e-9:
        return full_shares
    natural = pd.Series(natural_shares(pilot))
    natural = natural[[value not in shares for value in natural.index]]
    if natural.empty:
        raise GeneratorError(
            f"target shares for {column!r} add up to {targeted:.4f} but the model emits no other value"
        )
    for value, share in (natural / natural.sum()).items():
        full_shares[value] = (1 - targeted) * float(share)
    return full_shares


def sample_groups(
    backend: GeneratorBackend,
    columns: tuple[str, ...],
    counts: dict[tuple[Any, ...], int],
    seed: int,
    conditions: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """``counts[values]`` rows with ``columns`` set to ``values`` (and ``conditions``) for each group,
    each group sampled conditioned on its values; the rows come back shuffled."""
    parts = []
    for offset, (values, count) in enumerate(counts.items()):
        if count:
            fixed = {
                name: None if pd.isna(value) else value for name, value in zip(columns, values, strict=True)
            }
            parts.append(
                backend.sample(count, conditions={**(conditions or {}), **fixed}, seed=seed + 1 + offset)
            )
    rows = pd.concat(parts, ignore_index=True)
    return rows.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def sample_with_shares(
    backend: GeneratorBackend,
    num_rows: int,
    column: str,
    shares: dict[Any, float],
    seed: int = 0,
    conditions: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """``num_rows`` rows where ``column`` takes each value of ``shares`` in that share of rows.

    ``conditions`` (optional) apply to every row as well. When the shares add up to less
    than 1, the other values of ``column`` fill the rest in the backend's own proportions.
    Rows come back shuffled; GeneratorError for bad shares or a value the backend cannot emit.
    """
    conditions = dict(conditions or {})
    if column in conditions:
        raise GeneratorError(f"column {column!r} is both rebalanced and conditioned on")
    pilot = None
    if _check_shares(shares) < 1 - 1e-9:
        pilot = pilot_sample(backend, num_rows, seed, conditions)[column]
    counts = group_counts(num_rows, complete_shares(column, shares, pilot))
    return sample_groups(
        backend, (column,), {(value,): count for value, count in counts.items()}, seed, conditions
    )
