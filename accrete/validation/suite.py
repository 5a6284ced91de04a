"""Every gate on a synthetic table, with the thresholds of its dataset spec, and its report.

Fidelity, detection and utility compare against the real training rows; privacy also
against the real holdout that the generator never saw.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from accrete.spec import DatasetSpec
from accrete.validation.detection import detection_gate, detection_scores
from accrete.validation.fidelity import FidelityScores, fidelity_gate, fidelity_scores
from accrete.validation.identifier_leakage import identifier_leakage_gate
from accrete.validation.outcome import GateOutcome
from accrete.validation.privacy import (
    DistanceToClosestRecord,
    dcr_gate,
    distance_to_closest_record,
    exact_copies_gate,
    rare_combination_gate,
)
from accrete.validation.report_html import validation_report_html
from accrete.validation.representation import representation_gate, representation_table
from accrete.validation.utility import utility_gate, utility_scores


def applicable_gates(spec: DatasetSpec) -> list[str]:
    """The gates a synthetic table of ``spec`` must pass; some need a target, quasi-identifiers or
    sensitive attributes in the spec."""
    gates = ["fidelity", "detection"]
    gates += ["utility"] if spec.target else []
    gates += ["distance_to_closest_record", "exact_copies"]
    gates += ["rare_combinations"] if spec.quasi_identifiers else []
    gates += ["identifier_leakage"]
    gates += ["representation"] if spec.sensitive else []
    return gates


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
) -> SyntheticValidation:
    """Run the ``applicable_gates`` of the spec on its training columns."""
    schema = spec.training_schema
    gates = spec.gates
    fidelity = fidelity_scores(train, synthetic, schema, max_rows=gates.fidelity_max_rows, seed=seed)
    outcomes = [
        fidelity_gate(
            fidelity,
            min_quality=gates.min_quality,
            min_column_shapes=gates.min_column_shapes,
            min_column_pair_trends=gates.min_column_pair_trends,
            min_diagnostic=gates.min_diagnostic,
        ),
        detection_gate(
            detection_scores(train, synthetic, schema, max_rows=gates.validation_max_rows, seed=seed),
            max_auc=gates.max_detection_auc,
        ),
    ]
    if spec.target:
        utility = utility_scores(
            train, holdout, synthetic, schema, spec.target, max_rows=gates.validation_max_rows, seed=seed
        )
        outcomes.append(utility_gate(utility, min_ratio=gates.min_utility_ratio))
    dcr = distance_to_closest_record(train, holdout, synthetic, schema, seed=seed)
    outcomes += [
        dcr_gate(
            dcr,
            train,
            synthetic,
            max_share_above_expected=gates.dcr_max_share_above_expected,
            min_p5_ratio=gates.dcr_min_p5_ratio,
        ),
        exact_copies_gate(
            train, holdout, synthetic, schema, max_copy_rate_above_holdout=gates.max_copy_rate_above_holdout
        ),
    ]
    if spec.quasi_identifiers:
        outcomes.append(
            rare_combination_gate(
                train,
                holdout,
                synthetic,
                schema,
                spec.quasi_identifiers,
                max_rate_above_holdout=gates.max_rare_combination_rate_above_holdout,
            )
        )
    outcomes.append(identifier_leakage_gate(synthetic, identifier_values))
    representation = None
    if spec.sensitive:
        representation = representation_table(train, synthetic, schema, spec.sensitive, seed=seed)
        outcomes.append(
            representation_gate(
                representation,
                max_relative_drop=gates.representation_max_relative_drop,
                min_group_quality=gates.representation_min_group_quality,
                min_real_share=gates.representation_min_real_share,
            )
        )
    return SyntheticValidation(outcomes, fidelity, dcr, representation)


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
