"""Statistical parity: does a target's distribution differ between the groups of a sensitive attribute?"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


def parity_gap(rows: pd.DataFrame, target: str, sensitive: str) -> float:
    """How far ``target`` is from statistical parity across the groups of ``sensitive``.

    The largest, over the target's values y, of max_s P(y | s) - min_s P(y | s): 0 when every group
    has the same distribution of the target, 1 when a value is in every row of one group and in no
    row of another. Rows missing either value are left out; NaN when fewer than two groups remain.
    """
    known = rows[[target, sensitive]].dropna()
    if known[sensitive].nunique() < 2:
        return float("nan")
    rates = pd.crosstab(known[sensitive], known[target], normalize="index")
    return float((rates.max() - rates.min()).max())


@dataclass(frozen=True)
class ParityGaps:
    """A target's parity gap across a sensitive attribute in the real training rows (the bias
    they carry) and in the synthetic rows."""

    real: float
    synthetic: float
