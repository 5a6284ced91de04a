"""Value ranges: do synthetic values stay inside the real data's ranges and categories?

Each column has a domain. A number or datetime must lie between the spec's declared ``min``
and ``max`` or, where the spec declares none, between the smallest and largest real training
value; a category must be one the spec declares. Categorical columns without declared
categories (free codes such as tail numbers, where a generator may pool rare values under one
label) are not judged. Missing values are the spec expectations' business and count as inside.

A domain the spec declares admits no exception: the clean step keeps every real value inside it,
so a single synthetic age of 140 or a category the data never had fails the gate. A domain taken
from the training rows is judged against real holdout rows, which may fall outside it by chance
(a new record delay): such a column fails only when its synthetic rows fall outside more often
than holdout rows do, by more than ``max_rate_above_holdout``, at the low end of the excess's 95%
interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from accrete.spec import DatasetSpec
from accrete.validation.feature_encoding import as_number
from accrete.validation.intervals import difference_interval
from accrete.validation.markdown import markdown_table
from accrete.validation.outcome import GateOutcome

EXAMPLE_VALUES = 3


@dataclass(frozen=True)
class ColumnDomain:
    """The values a column may take: a closed numeric range or a set of categories."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    categories: frozenset[str] | None = None
    declared: bool = True
    """Declared by the spec (no value may fall outside), or the training rows' range."""

    def outside(self, values: pd.Series) -> np.ndarray:
        """Which values fall outside the domain (missing values never do)."""
        if self.categories is not None:
            return (values.notna() & ~values.astype(str).isin(self.categories)).to_numpy()
        numbers = as_number(values, self.kind)
        with np.errstate(invalid="ignore"):
            return (numbers < self.low) | (numbers > self.high)


def column_domains(spec: DatasetSpec, train: pd.DataFrame) -> list[ColumnDomain]:
    """The domain of every modelled column the spec or the training rows bound."""
    domains = []
    for column in spec.training_schema.columns:
        declared = spec.modelled_columns.get(column.name)
        if column.kind in ("numerical", "datetime"):
            present = as_number(train[column.name], column.kind)
            present = present[~np.isnan(present)]
            if present.size == 0:
                continue
            declared_low = declared.min if declared is not None else None
            declared_high = declared.max if declared is not None else None
            low = declared_low if declared_low is not None else float(present.min())
            high = declared_high if declared_high is not None else float(present.max())
            domains.append(
                ColumnDomain(
                    column.name,
                    column.kind,
                    low=float(low),
                    high=float(high),
                    declared=declared_low is not None and declared_high is not None,
                )
            )
        elif column.kind == "categorical" and declared is not None and declared.categories is not None:
            categories = frozenset(str(category) for category in declared.categories)
            domains.append(ColumnDomain(column.name, column.kind, categories=categories))
    return domains


def value_range_gate(
    spec: DatasetSpec,
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    max_rate_above_holdout: float = 0.0,
) -> GateOutcome:
    """Fails when a synthetic value leaves a declared domain, or a column's synthetic values leave its
    training range more often than holdout values do."""
    rows = []
    for domain in column_domains(spec, train):
        outside, holdout_outside = (
            domain.outside(synthetic[domain.name]),
            domain.outside(holdout[domain.name]),
        )
        low, _ = difference_interval(outside.sum(), len(synthetic), holdout_outside.sum(), len(holdout))
        fails = bool(outside.any()) if domain.declared else low > max_rate_above_holdout
        examples = synthetic.loc[outside, domain.name].astype(str).value_counts().index[:EXAMPLE_VALUES]
        rows.append(
            {
                "column": domain.name,
                "domain": (
                    f"{len(domain.categories)} declared categories"
                    if domain.categories is not None
                    else f"{domain.low:g} to {domain.high:g}"
                    + ("" if domain.declared else " (training range)")
                ),
                "synthetic_outside": float(outside.mean()) if len(synthetic) else 0.0,
                "holdout_outside": float(holdout_outside.mean()) if len(holdout) else 0.0,
                "excess_ci_low": low,
                "examples": ", ".join(examples),
                "fails": fails,
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "column",
            "domain",
            "synthetic_outside",
            "holdout_outside",
            "excess_ci_low",
            "examples",
            "fails",
        ],
    )
    failing = table[table["fails"]].drop(columns="fails").sort_values("synthetic_outside", ascending=False)
    worst_rate = float(table["synthetic_outside"].max()) if len(table) else 0.0
    holdout_rate = float(table["holdout_outside"].max()) if len(table) else 0.0
    if failing.empty:
        summary = (
            f"Every one of {len(table)} bounded columns keeps its synthetic values inside its range or declared "
            f"categories as often as real holdout rows do (at most {worst_rate:.2%} of synthetic and "
            f"{holdout_rate:.2%} of holdout values of a column outside)."
        )
    else:
        worst = failing.iloc[0]
        summary = (
            f"{len(failing)} of {len(table)} bounded columns have synthetic values outside their domain; worst: "
            f"{worst['column']!r} ({worst['domain']}) with {worst['synthetic_outside']:.2%} of synthetic rows "
            f"outside against {worst['holdout_outside']:.2%} of holdout rows, e.g. {worst['examples']}."
        )
    metrics = {
        "bounded_columns": float(len(table)),
        "failing_columns": float(len(failing)),
        "worst_outside_rate": worst_rate,
    }
    details = (
        "" if failing.empty else "### Columns with values outside their domain\n\n" + markdown_table(failing)
    )
    return GateOutcome(
        "value_ranges", failing.empty, summary, metrics, details, {"worst_outside_rate": holdout_rate}
    )
