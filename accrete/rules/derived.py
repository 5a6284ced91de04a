"""Columns computed instead of sampled: formula results, determined columns, completed numbers.

A generator never learns these columns. After sampling:

- a column a dependency determines takes the real value its determining columns have in the
  training rows (``education_num`` of the education);
- the numbers of a combination with label columns are drawn from the real combinations holding
  the row's labels, in their real proportions (``distance`` among those flown on the route);
- a formula column is computed from its inputs with DuckDB (``hour * 100 + minute``),

so each of these rules holds exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from accrete.rules.rule_spec import CombinationRule, DependencyRule, FormulaRule, Rule, completed_columns

FORMULA_VALUE = "_formula_value"
ROWS = "_rows"


def real_combinations(columns: list[str], keys: list[str], data: pd.DataFrame) -> pd.DataFrame:
    """The distinct combinations of ``columns`` in ``data`` with their row counts (``_rows``),
    sorted by ``keys`` (the columns a sampled row matches them on)."""
    counted = data[columns].value_counts(dropna=False).reset_index(name=ROWS)
    return counted.sort_values(
        [*keys, ROWS], ascending=[True] * len(keys) + [False], kind="stable"
    ).reset_index(drop=True)


@dataclass
class DerivedColumns:
    """The rules that compute columns, with the real combinations each one draws from."""

    rules: list[Rule] = field(default_factory=list)
    keys: dict[str, list[str]] = field(default_factory=dict)
    """Per rule, the sampled columns a row is matched on (determining columns, labels)."""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Per dependency or combination rule, its real combinations (``real_combinations``), set by
    the generator that learned them."""

    @classmethod
    def for_rules(cls, rules: list[Rule], types: dict[str, str]) -> DerivedColumns:
        """The computing rules among ``rules`` (``types``: each column's spec type), not yet learned."""
        derived = cls()
        for rule in rules:
            if isinstance(rule, DependencyRule):
                derived.keys[rule.name] = list(rule.determined_by)
            elif isinstance(rule, CombinationRule) and completed_columns(rule, types):
                completed = completed_columns(rule, types)
                derived.keys[rule.name] = [name for name in rule.columns if name not in completed]
            elif not isinstance(rule, FormulaRule):
                continue
            derived.rules.append(rule)
        return derived

    def compute(self, rows: pd.DataFrame, seed: int) -> pd.DataFrame:
        """``rows`` with every derived column added; ``seed`` draws the completed numbers.

        A row whose determining values or labels no training row has gets missing values there:
        the rules gate reports such rows, sampling redraws them.
        """
        computed = rows.reset_index(drop=True)
        for offset, rule in enumerate(self.rules):
            if isinstance(rule, FormulaRule):
                with duckdb.connect() as connection:
                    connection.register("sampled_rows", computed)
                    query = f"select ({rule.equals}) as {FORMULA_VALUE} from sampled_rows"
                    computed[rule.column] = connection.execute(query).df()[FORMULA_VALUE].to_numpy()
                continue
            table, keys = self.tables[rule.name], self.keys[rule.name]
            drawn = _draw_matching(table, keys, computed, np.random.default_rng([seed, offset]))
            for name in rule.columns_used:
                if name not in keys:
                    computed[name] = drawn[name].to_numpy()
        return computed


def _draw_matching(
    table: pd.DataFrame, keys: list[str], rows: pd.DataFrame, generator: np.random.Generator
) -> pd.DataFrame:
    """For each of ``rows``, one row of ``table`` with the same ``keys`` values, drawn in proportion
    to its ``_rows`` count (all missing where none matches). Vectorised: the combinations are
    numbered by key group, and each group's cumulative shares are laid out in (group, group + 1]."""
    groups = table.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    shares = table[ROWS].to_numpy(dtype=np.float64)
    totals = np.bincount(groups, weights=shares)
    ladder = groups + pd.Series(shares).groupby(groups).cumsum().to_numpy() / totals[groups]
    first = table.drop_duplicates(keys)[keys]
    first = first.assign(_group=np.arange(len(first)))
    keyed = rows[keys].astype({name: first[name].dtype for name in keys}, errors="ignore")
    matched = keyed.merge(first, on=keys, how="left", sort=False)["_group"].to_numpy(dtype=np.float64)
    found = ~np.isnan(matched)
    picks = np.zeros(len(rows), dtype=np.int64)
    uniforms = generator.random(len(rows))
    picks[found] = np.searchsorted(ladder, matched[found] + uniforms[found], side="right")
    drawn = table.iloc[np.minimum(picks, len(table) - 1)].reset_index(drop=True)
    return drawn.where(pd.Series(found), other=np.nan)
