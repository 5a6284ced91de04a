"""Gate verdicts as small JSON files, so the data card can quote them without a database lock.

One file per gate and generator version (``accrete.report.report_layout`` says where); writing
a verdict again for the same version replaces it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from accrete.report.report_layout import DatasetReports
from accrete.validation.outcome import GateOutcome


def write_outcome(reports: DatasetReports, generator_version: str, outcome: GateOutcome) -> Path:
    path = reports.gate_verdict(generator_version, outcome.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(outcome), indent=2, default=float))
    return path


def read_outcomes(reports: DatasetReports, generator_version: str) -> list[GateOutcome]:
    """Every verdict recorded for ``generator_version``, by gate name."""
    folder = reports.gate_verdicts(generator_version)
    if not folder.is_dir():
        return []
    return [GateOutcome(**json.loads(path.read_text())) for path in sorted(folder.glob("*.json"))]
