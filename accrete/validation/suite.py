"""Every applicable gate of the registry on a synthetic table, and its HTML report.

Fidelity, detection and utility compare against the real training rows; privacy also
against the real holdout that the generator never saw.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from accrete.spec import DatasetSpec
from accrete.validation.fidelity import FidelityScores
from accrete.validation.gates import GateInputs, applicable_gates
from accrete.validation.outcome import GateOutcome
from accrete.validation.privacy import DistanceToClosestRecord
from accrete.validation.report_html import validation_report_html


@dataclass
class SyntheticValidation:
    """The verdict of every gate, plus what the HTML report draws."""

    outcomes: list[GateOutcome]
    fidelity: FidelityScores
    dcr: DistanceToClosestRecord
    representation: pd.DataFrame | None


def validate_synthetic(
    spec: DatasetSpec,
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    identifier_values: Mapping[str, Iterable[object]] | None = None,
    seed: int = 0,
    reference_values: Mapping[str, set[str]] | None = None,
) -> SyntheticValidation:
    """Judge ``synthetic`` by every gate of the registry that applies to ``spec``
    (``reference_values``: per reference rule, its allowed values)."""
    inputs = GateInputs(spec, train, holdout, synthetic, identifier_values, seed, reference_values)
    outcomes = [gate.judge(inputs) for gate in applicable_gates(spec)]
    return SyntheticValidation(outcomes, inputs.fidelity, inputs.dcr, inputs.representation)


def write_validation_report(
    path: Path,
    title: str,
    spec: DatasetSpec,
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    validation: SyntheticValidation,
) -> Path:
    """The self-contained HTML report of one validation, written to ``path``."""
    html = validation_report_html(
        title,
        train,
        synthetic,
        spec.training_schema,
        validation.outcomes,
        fidelity=validation.fidelity,
        dcr=validation.dcr,
        representation=validation.representation,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html)
    return path
