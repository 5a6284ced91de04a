"""The validation report: one self-contained HTML file per dataset, and a markdown summary for the UI.

The HTML needs nothing beside it: figures are embedded as base64 PNG, styles are inline.
It shows every gate's verdict and summary (with its details), each score beside its ceiling
(the same score for real holdout rows against the training rows), the real and synthetic
distribution of every column, the pair-trend difference heatmap, the distance-to-closest-
record histograms and the per-group representation table. Plots are drawn from a seeded
sample of at most ``max_rows`` rows of each table.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from accrete.table_schema import TableSchema
from accrete.validation.fidelity import FidelityScores
from accrete.validation.outcome import GateOutcome
from accrete.validation.privacy import DistanceToClosestRecord
from accrete.validation.report_figures import dcr_histogram_png, distributions_png, pair_trend_difference_png

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.pass { color: #1a7f37; font-weight: bold; }
.fail { color: #cf222e; font-weight: bold; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; font-size: 0.85em; }
img { max-width: 100%; }
"""


def _verdict(outcome: GateOutcome) -> str:
    return "passed" if outcome.passed else "FAILED"


def outcomes_markdown(outcomes: Sequence[GateOutcome]) -> str:
    """A markdown summary of every gate: a verdict line, then each gate's sentence."""
    failed = [outcome.name for outcome in outcomes if not outcome.passed]
    headline = (
        f"**All {len(outcomes)} validation gates passed.**"
        if not failed
        else f"**{len(failed)} of {len(outcomes)} validation gates failed: {', '.join(failed)}.**"
    )
    lines = [headline, "", "| gate | verdict | summary |", "| --- | --- | --- |"]
    for outcome in outcomes:
        summary = outcome.summary.replace("|", "\\|")
        lines.append(f"| {outcome.name} | {_verdict(outcome)} | {summary} |")
    return "\n".join(lines)


def _outcomes_html(outcomes: Sequence[GateOutcome]) -> str:
    rows = []
    for outcome in outcomes:
        css = "pass" if outcome.passed else "fail"
        details = (
            f"<details><summary>details</summary><pre>{html.escape(outcome.details_md)}</pre></details>"
            if outcome.details_md
            else ""
        )
        rows.append(
            f"<tr><td>{html.escape(outcome.name)}</td><td class='{css}'>{_verdict(outcome)}</td>"
            f"<td>{html.escape(outcome.summary)}{details}</td></tr>"
        )
    return "<table><tr><th>gate</th><th>verdict</th><th>summary</th></tr>" + "".join(rows) + "</table>"


def ceiling_rows(outcomes: Sequence[GateOutcome]) -> list[tuple[str, str, float, float]]:
    """(gate, score, synthetic value, ceiling) for every score that has a ceiling."""
    return [
        (outcome.name, score, outcome.metrics[score], ceiling)
        for outcome in outcomes
        for score, ceiling in outcome.ceilings.items()
        if score in outcome.metrics
    ]


def _ceilings_html(outcomes: Sequence[GateOutcome]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(gate)}</td><td>{html.escape(score)}</td><td>{value:.4f}</td><td>{ceiling:.4f}</td></tr>"
        for gate, score, value, ceiling in ceiling_rows(outcomes)
    )
    return (
        "<table><tr><th>gate</th><th>score</th><th>synthetic</th><th>real holdout rows (ceiling)</th></tr>"
        + rows
        + "</table>"
    )


def _image(png: str, alt: str) -> str:
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{png}'>"


def _sample(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    return frame if len(frame) <= max_rows else frame.sample(n=max_rows, random_state=seed)


def validation_report_html(
    title: str,
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: TableSchema,
    outcomes: Sequence[GateOutcome],
    fidelity: FidelityScores | None = None,
    dcr: DistanceToClosestRecord | None = None,
    representation: pd.DataFrame | None = None,
    max_rows: int = 20_000,
    seed: int = 0,
) -> str:
    """The full report as one HTML string; sections whose inputs are ``None`` are left out."""
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{len(real):,} real training rows, {len(synthetic):,} synthetic rows.</p>",
        "<h2>Gates</h2>",
        _outcomes_html(outcomes),
        "<h2>Scores and their ceilings</h2>",
        "<p>Each score beside the same score for real holdout rows against the training rows: what a perfect "
        "generator gets with this many rows.</p>",
        _ceilings_html(outcomes),
        "<h2>Column distributions: real vs synthetic</h2>",
        _image(
            distributions_png(_sample(real, max_rows, seed), _sample(synthetic, max_rows, seed), schema),
            "distributions",
        ),
    ]
    if fidelity is not None:
        sections += [
            "<h2>Pair-trend difference</h2>",
            "<p>1 minus SDMetrics' pair-trend score: the correlation difference for two numerical columns, "
            "the contingency-table difference otherwise. White means the pair relates as in the real data.</p>",
            _image(pair_trend_difference_png(fidelity, schema), "pair-trend difference heatmap"),
        ]
    if dcr is not None:
        searched = (
            f" Computed on a seeded sample of {len(dcr.synthetic_to_train):,} synthetic rows."
            if dcr.sampled
            else ""
        )
        sections += [
            "<h2>Distance to closest record</h2>",
            "<p>If the synthetic distances pile up at 0, left of the holdout's, the generator copies "
            f"training rows.{searched}</p>",
            _image(dcr_histogram_png(dcr), "distance to closest record histograms"),
        ]
    if representation is not None:
        sections += [
            "<h2>Representation of sensitive groups</h2>",
            representation.to_html(
                index=False, float_format=lambda value: f"{value:.4f}", na_rep="not covered"
            ),
        ]
    body = "\n".join(sections)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )
