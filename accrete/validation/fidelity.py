"""Fidelity: SDMetrics' quality report (column shapes, pair trends) and diagnostic report.

SDMetrics is MIT-licensed. Both reports are computed on at most ``max_rows`` rows of
each table (a seeded sample) so that their cost stays flat as the real data grows.
``fidelity_gate`` turns the scores into a verdict; its details always list the worst
columns and pairs, since they say where a generator needs work even when it passes. Each
score is shown beside its ceiling: the same score for real holdout rows against the training
rows, what a perfect generator would get (sampling noise keeps it below 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sdmetrics.reports import DiagnosticReport, QualityReport

from accrete.generator.sdv_backends import sdv_metadata
from accrete.table_schema import TableSchema
from accrete.validation.markdown import markdown_table
from accrete.validation.outcome import GateOutcome

TABLE = "table"
DETAIL_ROWS = 10


@dataclass
class FidelityScores:
    """Scores in [0, 1]; 1 means the synthetic table matches the real one on that property."""

    quality: float
    column_shapes: float
    column_pair_trends: float
    diagnostic: float
    validity: float
    structure: float
    column_details: pd.DataFrame
    """Per-column shape score (columns ``column``, ``metric``, ``score``), worst first."""
    pair_details: pd.DataFrame
    """Per-pair trend score (columns ``column_1``, ``column_2``, ``metric``, ``score``), worst first."""


def _subsample(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    if len(frame) <= max_rows:
        return frame
    return frame.sample(n=max_rows, random_state=seed)


def fidelity_scores(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: TableSchema,
    max_rows: int = 20_000,
    seed: int = 0,
) -> FidelityScores:
    """Run SDMetrics' quality and diagnostic reports on the schema's columns."""
    metadata = sdv_metadata(schema).to_dict()
    real_data = {TABLE: _subsample(real[schema.names], max_rows, seed)}
    synthetic_data = {TABLE: _subsample(synthetic[schema.names], max_rows, seed)}
    quality = QualityReport()
    quality.generate(real_data, synthetic_data, metadata, verbose=False)
    diagnostic = DiagnosticReport()
    diagnostic.generate(real_data, synthetic_data, metadata, verbose=False)

    properties = quality.get_properties().set_index("Property")["Score"]
    diagnostics = diagnostic.get_properties().set_index("Property")["Score"]
    shapes = quality.get_details("Column Shapes").rename(
        columns={"Column": "column", "Metric": "metric", "Score": "score"}
    )
    pairs = quality.get_details("Column Pair Trends").rename(
        columns={"Column 1": "column_1", "Column 2": "column_2", "Metric": "metric", "Score": "score"}
    )
    return FidelityScores(
        quality=float(quality.get_score()),
        column_shapes=float(properties["Column Shapes"]),
        column_pair_trends=float(properties["Column Pair Trends"]),
        diagnostic=float(diagnostic.get_score()),
        validity=float(diagnostics["Data Validity"]),
        structure=float(diagnostics["Data Structure"]),
        column_details=shapes[["column", "metric", "score"]].sort_values("score").reset_index(drop=True),
        pair_details=pairs[["column_1", "column_2", "metric", "score"]]
        .sort_values("score")
        .reset_index(drop=True),
    )


CEILING_SCORES = ("quality", "column_shapes", "column_pair_trends", "diagnostic")


def fidelity_gate(
    scores: FidelityScores,
    ceiling: FidelityScores | None = None,
    min_quality: float = 0.75,
    min_column_shapes: float = 0.8,
    min_column_pair_trends: float = 0.8,
    min_diagnostic: float = 0.95,
) -> GateOutcome:
    """Fails when the overall quality, either of its two properties, or the diagnostic is below its minimum.

    ``ceiling`` (the scores of real holdout rows) is reported beside each score, not judged.
    """
    checks = {
        "quality": (scores.quality, min_quality),
        "column shapes": (scores.column_shapes, min_column_shapes),
        "column pair trends": (scores.column_pair_trends, min_column_pair_trends),
        "diagnostic (validity and structure)": (scores.diagnostic, min_diagnostic),
    }
    below = [name for name, (score, minimum) in checks.items() if score < minimum]
    passed = not below
    worst_column = scores.column_details.iloc[0] if len(scores.column_details) else None
    worst_pair = scores.pair_details.iloc[0] if len(scores.pair_details) else None
    worst = []
    if worst_column is not None:
        worst.append(f"worst column {worst_column['column']} ({worst_column['score']:.2f})")
    if worst_pair is not None:
        worst.append(
            f"worst pair {worst_pair['column_1']}/{worst_pair['column_2']} ({worst_pair['score']:.2f})"
        )
    verdict = "meets every minimum" if passed else f"is below the minimum on {', '.join(below)}"
    ceilings = {name: float(getattr(ceiling, name)) for name in CEILING_SCORES} if ceiling is not None else {}
    ceiling_note = (
        f" (real holdout rows score {ceilings['quality']:.3f} / {ceilings['column_shapes']:.3f} / "
        f"{ceilings['column_pair_trends']:.3f} / {ceilings['diagnostic']:.3f})"
        if ceilings
        else ""
    )
    summary = (
        f"SDMetrics quality {scores.quality:.3f} (column shapes {scores.column_shapes:.3f}, pair trends "
        f"{scores.column_pair_trends:.3f}) and diagnostic {scores.diagnostic:.3f}{ceiling_note} against minimums "
        f"{min_quality:.2f} / {min_column_shapes:.2f} / {min_column_pair_trends:.2f} / {min_diagnostic:.2f}: "
        f"the synthetic table {verdict}; {', '.join(worst)}."
    )
    metrics = {
        "quality": scores.quality,
        "column_shapes": scores.column_shapes,
        "column_pair_trends": scores.column_pair_trends,
        "diagnostic": scores.diagnostic,
        "validity": scores.validity,
        "structure": scores.structure,
    }
    details = (
        "### Column shapes, worst first\n\n"
        + markdown_table(scores.column_details, DETAIL_ROWS)
        + "\n\n### Column pair trends, worst first\n\n"
        + markdown_table(scores.pair_details, DETAIL_ROWS)
    )
    return GateOutcome("fidelity", passed, summary, metrics, details, ceilings)
