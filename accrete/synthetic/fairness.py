"""Fairness on purpose: synthetic rows in which a target is independent of a sensitive attribute.

Statistical parity (measured by ``accrete.validation.parity``): every group of the sensitive
attribute gets the same distribution of the target. The rows are split into cells (sensitive
value s, target value y) of n * P(s) * P(y) rows each (largest-remainder rounding), where P(s)
and P(y) are the shares the backend produces itself (one bounded pilot sample, as for
rebalancing) or, for a column that is also rebalanced, its target shares completed the same way.
Each cell is sampled conditioned on both values, so every other column stays conditional on them
as the generator learned it, and no reject loop runs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from accrete.generator.base import GeneratorBackend, GeneratorError
from accrete.synthetic.rebalance import (
    complete_shares,
    group_counts,
    natural_shares,
    pilot_sample,
    sample_groups,
)


def sample_fair(
    backend: GeneratorBackend,
    num_rows: int,
    target: str,
    sensitive: str,
    seed: int = 0,
    conditions: dict[str, Any] | None = None,
    shares: dict[str, dict[Any, float]] | None = None,
) -> pd.DataFrame:
    """``num_rows`` rows in which ``target`` is independent of ``sensitive``, shuffled.

    ``conditions`` (optional) apply to every row. ``shares`` (optional) maps ``target`` or
    ``sensitive`` to target shares of its values (a rebalance of that column), completed with the
    backend's own proportions as rebalancing does. GeneratorError when the two columns are one,
    the sensitive column or a rebalanced one is conditioned on, shares name another column or
    the backend cannot emit a value.
    """
    conditions = dict(conditions or {})
    shares = dict(shares or {})
    if target == sensitive:
        raise GeneratorError(f"fairness needs a target and a sensitive column, got {target!r} twice")
    if sensitive in conditions:
        raise GeneratorError(
            f"sensitive column {sensitive!r} is conditioned on: no groups are left to equalise"
        )
    both = sorted(set(shares) & set(conditions))
    if both:
        raise GeneratorError(f"columns {both} are both rebalanced and conditioned on")
    others = sorted(set(shares) - {target, sensitive})
    if others:
        raise GeneratorError(f"fairness can rebalance only {target!r} or {sensitive!r}, not {others}")
    pilot = pilot_sample(backend, num_rows, seed, conditions)
    marginals = {
        column: complete_shares(column, shares[column], pilot[column])
        if column in shares
        else natural_shares(pilot[column])
        for column in (sensitive, target)
    }
    cells = {
        (group, value): group_share * value_share
        for group, group_share in marginals[sensitive].items()
        for value, value_share in marginals[target].items()
    }
    return sample_groups(backend, (sensitive, target), group_counts(num_rows, cells), seed, conditions)
