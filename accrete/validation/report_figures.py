"""The validation report's figures, drawn with matplotlib and returned as base64 PNG strings.

Figures are built with ``matplotlib.figure.Figure`` directly, never through pyplot, so no
GUI backend or global figure state is involved and report generation is thread-safe.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from accrete.table_schema import TableSchema
from accrete.validation.feature_encoding import category_text
from accrete.validation.fidelity import FidelityScores
from accrete.validation.privacy import DistanceToClosestRecord

REAL_COLOUR = "#4C72B0"
SYNTHETIC_COLOUR = "#DD8452"
HOLDOUT_COLOUR = "#55A868"
PANELS_PER_ROW = 3
TOP_CATEGORIES = 12
BINS = 40


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _numeric(values: pd.Series, kind: str) -> np.ndarray:
    if kind == "datetime":
        stamps = pd.to_datetime(values, errors="coerce").dropna()
        return stamps.astype("int64").to_numpy() / 86_400e9
    return pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=np.float64)


def distributions_png(real: pd.DataFrame, synthetic: pd.DataFrame, schema: TableSchema) -> str:
    """One panel per column: overlaid histograms (numbers) or side-by-side category shares."""
    rows = -(-len(schema.columns) // PANELS_PER_ROW)
    figure = Figure(figsize=(5 * PANELS_PER_ROW, 3.2 * rows))
    for position, column in enumerate(schema.columns):
        axes = figure.add_subplot(rows, PANELS_PER_ROW, position + 1)
        if column.kind in ("numerical", "datetime"):
            real_values = _numeric(real[column.name], column.kind)
            synthetic_values = _numeric(synthetic[column.name], column.kind)
            if real_values.size:
                low, high = np.quantile(real_values, [0.005, 0.995])
                edges = np.linspace(low, high if high > low else low + 1, BINS + 1)
                axes.hist(real_values, bins=edges, density=True, alpha=0.55, color=REAL_COLOUR, label="real")
                axes.hist(
                    synthetic_values,
                    bins=edges,
                    density=True,
                    alpha=0.55,
                    color=SYNTHETIC_COLOUR,
                    label="synthetic",
                )
            axes.set_ylabel("density")
        else:
            real_shares = category_text(real[column.name]).value_counts(normalize=True)
            synthetic_shares = category_text(synthetic[column.name]).value_counts(normalize=True)
            shown = real_shares.index[:TOP_CATEGORIES]
            places = np.arange(len(shown))
            axes.bar(
                places - 0.2, real_shares.reindex(shown, fill_value=0), 0.4, color=REAL_COLOUR, label="real"
            )
            axes.bar(
                places + 0.2,
                synthetic_shares.reindex(shown, fill_value=0),
                0.4,
                color=SYNTHETIC_COLOUR,
                label="synthetic",
            )
            axes.set_xticks(
                places, [label.replace("\x00missing", "(missing)")[:14] for label in shown], rotation=60
            )
            axes.tick_params(axis="x", labelsize=7)
            axes.set_ylabel("share of rows")
        axes.set_title(column.name, fontsize=10)
        if position == 0:
            axes.legend(fontsize=8)
    figure.tight_layout()
    return _png(figure)


def pair_trend_difference_png(fidelity: FidelityScores, schema: TableSchema) -> str:
    """Heatmap of 1 - SDMetrics' pair-trend score: correlation difference for numerical pairs,
    contingency-table difference otherwise; 0 means the pair relates the same way in both tables."""
    names = schema.names
    index = {name: position for position, name in enumerate(names)}
    difference = np.full((len(names), len(names)), np.nan)
    for pair in fidelity.pair_details.itertuples(index=False):
        first, second = index[pair.column_1], index[pair.column_2]
        difference[first, second] = difference[second, first] = 1 - pair.score
    np.fill_diagonal(difference, 0.0)
    figure = Figure(figsize=(1.0 + 0.45 * len(names), 0.6 + 0.45 * len(names)))
    axes = figure.add_subplot()
    image = axes.imshow(difference, cmap="Reds", vmin=0, vmax=max(0.5, float(np.nanmax(difference))))
    axes.set_xticks(range(len(names)), names, rotation=90, fontsize=8)
    axes.set_yticks(range(len(names)), names, fontsize=8)
    figure.colorbar(image, ax=axes, label="pair-trend difference (1 - score)")
    figure.tight_layout()
    return _png(figure)


def dcr_histogram_png(dcr: DistanceToClosestRecord) -> str:
    """Distances to the nearest training row: synthetic rows against holdout rows, with 5th percentiles."""
    figure = Figure(figsize=(8, 3.6))
    axes = figure.add_subplot()
    both = np.concatenate([dcr.synthetic_to_train, dcr.holdout_to_train])
    edges = np.linspace(0, max(float(np.quantile(both, 0.99)), 1e-6), BINS + 1)
    for distances, colour, label in (
        (dcr.holdout_to_train, HOLDOUT_COLOUR, "holdout → training"),
        (dcr.synthetic_to_train, SYNTHETIC_COLOUR, "synthetic → training"),
    ):
        axes.hist(
            np.clip(distances, 0, edges[-1]), bins=edges, density=True, alpha=0.55, color=colour, label=label
        )
    axes.axvline(dcr.holdout_p5, color=HOLDOUT_COLOUR, linestyle="--", label="holdout 5th percentile")
    axes.axvline(dcr.synthetic_p5, color=SYNTHETIC_COLOUR, linestyle="--", label="synthetic 5th percentile")
    axes.set_xlabel("distance to the closest training row (0 = exact copy)")
    axes.set_ylabel("density")
    axes.legend(fontsize=8)
    figure.tight_layout()
    return _png(figure)
