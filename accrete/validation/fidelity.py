"""Fidelity: SDMetrics' quality report (column shapes, pair trends) and diagnostic report.

SDMetrics is MIT-licensed. Both reports are computed on at most ``max_rows`` rows of
each table (a seeded sample) so that their cost stays flat as the real data grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sdmetrics.reports import DiagnosticReport, QualityReport

from accrete.generators.sdv_backends import sdv_metadata
from accrete.table_schema import TableSchema

TABLE = "table"


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
