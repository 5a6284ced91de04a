"""Representation: is every group of every sensitive attribute covered, and covered well?

For each sensitive attribute, each group's share of the real rows is set beside its share of
the synthetic rows, with the quality of the synthetic rows within that group: the mean of
SDMetrics' column-shape scores over the other columns (KS complement for numbers and datetimes, TV complement for
categories) between the group's real and synthetic rows, on at most ``max_rows_per_group``
rows of each. A group whose synthetic share falls by more than the tolerance, relative to its
real share, fails the gate, and so does one inflated beyond its real share by more than the
rise tolerance (a model that over-samples a group misstates it as surely as one that drops
it); so does a group whose quality is below its minimum. Groups smaller
than ``min_real_share`` of the real rows are shown but not gated: their shares are mostly noise.
A numerical sensitive attribute is grouped into quintiles of its real values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sdmetrics.single_column import KSComplement, TVComplement

from accrete.table_schema import TableSchema
from accrete.validation.feature_encoding import MISSING, category_text
from accrete.validation.intervals import wilson_interval
from accrete.validation.markdown import markdown_table
from accrete.validation.outcome import GateOutcome

QUANTILE_GROUPS = 5
TABLE_COLUMNS = [
    "attribute",
    "group",
    "real_rows",
    "synthetic_rows",
    "real_share",
    "synthetic_share",
    "relative_change",
    "quality",
]


def _group_labels(real: pd.Series, synthetic: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    if kind in ("numerical", "datetime"):
        edges = np.unique(np.nanquantile(real.astype("float64"), np.linspace(0, 1, QUANTILE_GROUPS + 1)))
        edges[0], edges[-1] = -np.inf, np.inf
        return (
            pd.cut(real.astype("float64"), edges).astype(str),
            pd.cut(synthetic.astype("float64"), edges).astype(str),
        )
    return category_text(real).replace(MISSING, "(missing)"), category_text(synthetic).replace(
        MISSING, "(missing)"
    )


def _shape_quality(real: pd.DataFrame, synthetic: pd.DataFrame, schema: TableSchema) -> float:
    """Mean SDMetrics column-shape score over the schema's columns; NaN when either side is empty."""
    if real.empty or synthetic.empty:
        return float("nan")
    scores = []
    for column in schema.columns:
        real_values, synthetic_values = real[column.name], synthetic[column.name]
        if column.kind in ("numerical", "datetime"):
            if real_values.notna().any() and synthetic_values.notna().any():
                scores.append(KSComplement.compute(real_values.dropna(), synthetic_values.dropna()))
        else:
            scores.append(TVComplement.compute(category_text(real_values), category_text(synthetic_values)))
    return float(np.mean(scores)) if scores else float("nan")


def representation_table(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: TableSchema,
    sensitive: Sequence[str],
    max_rows_per_group: int = 5_000,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (sensitive attribute, group): row counts, shares, relative change and quality."""
    rows = []
    for attribute in sensitive:
        others = TableSchema(tuple(column for column in schema.columns if column.name != attribute))
        real_groups, synthetic_groups = _group_labels(
            real[attribute], synthetic[attribute], schema.column(attribute).kind
        )
        real_counts, synthetic_counts = real_groups.value_counts(), synthetic_groups.value_counts()
        for group in real_counts.index.union(synthetic_counts.index):
            real_rows, synthetic_rows = int(real_counts.get(group, 0)), int(synthetic_counts.get(group, 0))
            real_members = real[(real_groups == group).to_numpy()]
            synthetic_members = synthetic[(synthetic_groups == group).to_numpy()]
            real_share = real_rows / max(len(real), 1)
            synthetic_share = synthetic_rows / max(len(synthetic), 1)
            rows.append(
                {
                    "attribute": attribute,
                    "group": group,
                    "real_rows": real_rows,
                    "synthetic_rows": synthetic_rows,
                    "real_share": real_share,
                    "synthetic_share": synthetic_share,
                    "relative_change": synthetic_share / real_share - 1 if real_share > 0 else float("inf"),
                    "quality": _shape_quality(
                        real_members.sample(n=min(real_rows, max_rows_per_group), random_state=seed),
                        synthetic_members.sample(
                            n=min(synthetic_rows, max_rows_per_group), random_state=seed
                        ),
                        others,
                    ),
                }
            )
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return table.sort_values(["attribute", "real_share"], ascending=[True, False]).reset_index(drop=True)


def representation_gate(
    table: pd.DataFrame,
    max_relative_drop: float = 0.25,
    max_relative_rise: float = 0.5,
    min_group_quality: float = 0.5,
    min_real_share: float = 0.005,
) -> GateOutcome:
    """Fails when a gated group's synthetic share is below ``(1 - max_relative_drop)`` or above
    ``(1 + max_relative_rise)`` times its real share, even at the near end of the synthetic share's
    95% interval (so a small group's sampling noise does not fail it), or its within-group quality
    is below ``min_group_quality`` (an absent group has no quality)."""
    gated = table[table["real_share"] >= min_real_share]
    synthetic_total = int(table.groupby("attribute")["synthetic_rows"].sum().max()) if len(table) else 0
    bounds = [wilson_interval(rows, synthetic_total) for rows in gated["synthetic_rows"]]
    share_low = np.array([low for low, _ in bounds])
    share_high = np.array([high for _, high in bounds])
    under = gated[share_high < (1 - max_relative_drop) * gated["real_share"].to_numpy()]
    over = gated[share_low > (1 + max_relative_rise) * gated["real_share"].to_numpy()]
    poor = gated[~(gated["quality"] >= min_group_quality)]
    failing = pd.concat([under, over, poor]).drop_duplicates(subset=["attribute", "group"])
    passed = failing.empty
    attributes = ", ".join(dict.fromkeys(table["attribute"]))
    smallest = gated.sort_values("real_share").head(1)
    if passed:
        coverage = ""
        if not smallest.empty:
            row = smallest.iloc[0]
            coverage = (
                f"; the smallest gated group, {row['attribute']}={row['group']}, is {row['real_share']:.2%} of real "
                f"and {row['synthetic_share']:.2%} of synthetic rows (quality {row['quality']:.2f})"
            )
        summary = (
            f"All {len(gated)} groups of {attributes} with at least {min_real_share:.1%} of the real rows keep their "
            f"share between -{max_relative_drop:.0%} and +{max_relative_rise:.0%} of the real share and a "
            f"within-group quality of at least {min_group_quality:.2f}"
            f"{coverage}."
        )
    else:
        worst = failing.loc[failing["relative_change"].abs().idxmax()]
        summary = (
            f"{len(failing)} of {len(gated)} gated groups of {attributes} are under- or over-represented or "
            f"poorly reproduced; worst: {worst['attribute']}={worst['group']} is {worst['real_share']:.2%} of real "
            f"rows but {worst['synthetic_share']:.2%} of synthetic rows ({worst['relative_change']:+.0%}; "
            f"-{max_relative_drop:.0%} to +{max_relative_rise:.0%} allowed), quality {worst['quality']:.2f} "
            f"(minimum {min_group_quality:.2f})."
        )
    metrics = {
        "groups": float(len(table)),
        "gated_groups": float(len(gated)),
        "failing_groups": float(len(failing)),
        "worst_relative_change": float(gated["relative_change"].min()) if len(gated) else 0.0,
        "largest_relative_rise": float(gated["relative_change"].max()) if len(gated) else 0.0,
        "worst_group_quality": float(gated["quality"].min()) if len(gated) else float("nan"),
    }
    details = ""
    if not passed:
        details = (
            "### Groups that fail\n\n"
            + markdown_table(failing)
            + "\n\n### All groups\n\n"
            + markdown_table(table, max_rows=50)
        )
    return GateOutcome("representation", passed, summary, metrics, details)
