"""Redraws: the synthetic rows that still break a rule after sampling are drawn again.

Masked sampling keeps combinations exactly; what it cannot express (a unique key, an inequality,
a combination the backend cannot mask) is kept by drawing the breaking rows again under the same
controls (the spec's conditions and the row's value of each controlled column, such as the
rebalanced one), so conditions and group shares still hold exactly. The count of redrawn rows per
rule is reported; rows still breaking a rule after ``MAX_REDRAW_ROUNDS`` raise GeneratorError.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from accrete.generator.base import GeneratorError
from accrete.rules.rule_bound import RuleBoundGenerator

MAX_REDRAW_ROUNDS = 20
REDRAW_OVERSAMPLING = 4
"""Candidates drawn per breaking row in each round."""
REDRAW_SEED_STEP = 7_919
"""Seeds of successive redraw rounds: far from the seeds the first draw used."""


def redraw_rule_breakers(
    generator: RuleBoundGenerator,
    rows: pd.DataFrame,
    conditions: dict[str, Any],
    controlled: list[str],
    seed: int,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """``rows`` with every row breaking a rule drawn again; and per rule, how many times a row breaking
    it was drawn again (a row redrawn in two rounds counts twice).

    ``conditions`` hold in every row; each redrawn row also keeps its value of the ``controlled``
    columns. Each round draws ``REDRAW_OVERSAMPLING`` candidates per breaking row and keeps, in
    order, those that break no rule beside the kept rows and the candidates kept before them, so
    that a nearly full key space still fills in a few rounds.
    """
    rows = rows.reset_index(drop=True)
    redrawn = {rule.name: 0 for rule in generator.rules}
    for round_number in range(1, MAX_REDRAW_ROUNDS + 1):
        found = generator.violations(rows)
        breaking = _union(found)
        if not len(breaking):
            return rows, redrawn
        for name, positions in found.items():
            redrawn[name] += len(positions)
        kept = rows.drop(index=breaking)
        groups = rows.iloc[breaking].groupby(_group_key(rows.iloc[breaking], controlled)).indices
        candidates = _candidates(
            generator, rows.iloc[breaking], groups, conditions, controlled, seed, round_number
        )
        trial = pd.concat([kept, candidates.drop(columns=GROUP)], ignore_index=True)
        bad = _union(generator.violations(trial))
        candidates["_breaks"] = np.isin(np.arange(len(kept), len(trial)), bad)
        chosen = []
        for group, positions in groups.items():
            pool = candidates[candidates[GROUP] == group].sort_values("_breaks", kind="stable")
            if len(pool) < len(positions):
                raise GeneratorError(
                    f"the generator drew {len(pool)} of the {len(positions)} rows asked for to redraw rows "
                    "that break a rule"
                )
            chosen.append(pool.head(len(positions)).set_index(breaking[positions]))
        fresh = pd.concat(chosen).drop(columns=[GROUP, "_breaks"])
        rows = pd.concat([kept, fresh]).sort_index()
    still = {name: len(positions) for name, positions in generator.violations(rows).items() if len(positions)}
    if not still:
        return rows, redrawn
    raise GeneratorError(
        f"after {MAX_REDRAW_ROUNDS} rounds of redraws, rows still break rules: "
        + ", ".join(f"{name} ({count} rows)" for name, count in still.items())
        + "; the model cannot produce enough rows that keep them (fewer rows, or a rule the real data obey?)"
    )


GROUP = "_redraw_group"


def _union(found: dict[str, np.ndarray]) -> np.ndarray:
    """The positions breaking any rule, sorted, each once."""
    return np.unique(np.concatenate([np.zeros(0, dtype=np.int64), *found.values()]))


def _group_key(rows: pd.DataFrame, controlled: list[str]) -> pd.Series:
    """Which controlled values each row has, as one label (all rows alike without controls)."""
    if not controlled:
        return pd.Series("", index=rows.index)
    return rows[controlled].astype(str).agg("|".join, axis=1)


def _candidates(
    generator: RuleBoundGenerator,
    breaking: pd.DataFrame,
    groups: dict[str, np.ndarray],
    conditions: dict[str, Any],
    controlled: list[str],
    seed: int,
    round_number: int,
) -> pd.DataFrame:
    """``REDRAW_OVERSAMPLING`` fresh rows per breaking row, drawn with its controlled values, labelled
    with their group (column ``_redraw_group``); ``groups``: the positions in ``breaking`` of each
    group of controlled values."""
    parts = []
    for offset, (group, positions) in enumerate(groups.items()):
        example = breaking.iloc[positions[0]]
        group_conditions = {
            **conditions,
            **{name: None if pd.isna(example[name]) else example[name] for name in controlled},
        }
        drawn = generator.sample(
            len(positions) * REDRAW_OVERSAMPLING,
            conditions=group_conditions or None,
            seed=seed + REDRAW_SEED_STEP * round_number + offset,
        )
        parts.append(drawn.assign(**{GROUP: group}))
    return pd.concat(parts, ignore_index=True)
