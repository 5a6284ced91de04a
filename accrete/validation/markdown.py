"""Small markdown tables for gate details, shown in the Dagster UI."""

from __future__ import annotations

import pandas as pd


def _cell(value: object) -> str:
    if isinstance(value, float):
        text = f"{value:.4g}"
    else:
        text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame, max_rows: int = 10) -> str:
    """The first ``max_rows`` rows of ``frame`` as a GitHub-flavoured markdown table."""
    shown = frame.head(max_rows)
    header = "| " + " | ".join(_cell(name) for name in shown.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in shown.columns) + "|"
    rows = ["| " + " | ".join(_cell(value) for value in row) + " |" for row in shown.itertuples(index=False)]
    more = [f"\n… and {len(frame) - max_rows:,} more rows"] if len(frame) > max_rows else []
    return "\n".join([header, rule, *rows, *more])
