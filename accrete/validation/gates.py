"""The registry of gates: every test a synthetic table must pass before anyone may use it.

Each gate has a name (the name of its blocking check), the spec fields it needs (a gate whose
fields are empty does not apply to that dataset) and the function that judges it. The checks
Dagster declares and the verdicts the suite computes both come from ``GATES``, so the two lists
cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from accrete.spec import DatasetSpec
from accrete.validation.detection import detection_ceiling, detection_gate, detection_scores
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
from accrete.validation.representation import representation_gate, representation_table
from accrete.validation.rules_gate import rules_gate
from accrete.validation.utility import utility_gate, utility_scores
from accrete.validation.value_ranges import value_range_gate


@dataclass
class GateInputs:
    """What every gate judges: the synthetic rows against the real training rows and holdout.

    Scores that several gates or the HTML report read are computed once, on first use. The
    fidelity ceiling is the same scores for the real holdout rows: what a perfect generator gets.
    """

    spec: DatasetSpec
    train: pd.DataFrame
    holdout: pd.DataFrame
    synthetic: pd.DataFrame
    identifier_values: Mapping[str, Iterable[object]] | None = None
    seed: int = 0
    reference_values: Mapping[str, set[str]] | None = None
    """Per reference rule name, the values its reference table allows."""

    @cached_property
    def fidelity(self) -> FidelityScores:
        return fidelity_scores(
            self.train,
            self.synthetic,
            self.spec.training_schema,
            max_rows=self.spec.gates.fidelity_max_rows,
            seed=self.seed,
        )

    @cached_property
    def fidelity_ceiling(self) -> FidelityScores:
        return fidelity_scores(
            self.train,
            self.holdout,
            self.spec.training_schema,
            max_rows=self.spec.gates.fidelity_max_rows,
            seed=self.seed,
        )

    @cached_property
    def dcr(self) -> DistanceToClosestRecord:
        return distance_to_closest_record(
            self.train, self.holdout, self.synthetic, self.spec.training_schema, seed=self.seed
        )

    @cached_property
    def representation(self) -> pd.DataFrame | None:
        """Per sensitive group, real against synthetic share and quality (None without sensitive columns)."""
        if not self.spec.sensitive:
            return None
        return representation_table(
            self.train, self.synthetic, self.spec.training_schema, self.spec.sensitive, seed=self.seed
        )


def _fidelity(inputs: GateInputs) -> GateOutcome:
    gates = inputs.spec.gates
    return fidelity_gate(
        inputs.fidelity,
        inputs.fidelity_ceiling,
        min_quality=gates.min_quality,
        min_column_shapes=gates.min_column_shapes,
        min_column_pair_trends=gates.min_column_pair_trends,
        min_diagnostic=gates.min_diagnostic,
    )


def _detection(inputs: GateInputs) -> GateOutcome:
    spec = inputs.spec
    schema, max_rows = spec.training_schema, spec.gates.validation_max_rows
    scores = detection_scores(
        inputs.train, inputs.holdout, inputs.synthetic, schema, max_rows=max_rows, seed=inputs.seed
    )
    ceiling = detection_ceiling(inputs.train, inputs.holdout, schema, max_rows=max_rows, seed=inputs.seed)
    return detection_gate(scores, ceiling, max_auc=spec.gates.max_detection_auc)


def _utility(inputs: GateInputs) -> GateOutcome:
    spec = inputs.spec
    fairness = spec.synthetic.fairness
    scores = utility_scores(
        inputs.train,
        inputs.holdout,
        inputs.synthetic,
        spec.training_schema,
        spec.target,
        max_rows=spec.gates.validation_max_rows,
        seed=inputs.seed,
        sensitive=fairness.sensitive if fairness and fairness.target == spec.target else None,
    )
    return utility_gate(scores, min_ratio=spec.gates.min_utility_ratio)


def _distance_to_closest_record(inputs: GateInputs) -> GateOutcome:
    gates = inputs.spec.gates
    return dcr_gate(
        inputs.dcr,
        inputs.train,
        inputs.synthetic,
        max_share_above_expected=gates.dcr_max_share_above_expected,
        max_close_share=gates.dcr_max_close_share,
    )


def _exact_copies(inputs: GateInputs) -> GateOutcome:
    return exact_copies_gate(
        inputs.train,
        inputs.holdout,
        inputs.synthetic,
        inputs.spec.training_schema,
        max_copy_rate_above_holdout=inputs.spec.gates.max_copy_rate_above_holdout,
    )


def _rare_combinations(inputs: GateInputs) -> GateOutcome:
    spec = inputs.spec
    return rare_combination_gate(
        inputs.train,
        inputs.holdout,
        inputs.synthetic,
        spec.training_schema,
        spec.quasi_identifiers,
        max_rate_above_holdout=spec.gates.max_rare_combination_rate_above_holdout,
    )


def _identifier_leakage(inputs: GateInputs) -> GateOutcome:
    return identifier_leakage_gate(inputs.synthetic, inputs.train, inputs.identifier_values)


def _representation(inputs: GateInputs) -> GateOutcome:
    gates = inputs.spec.gates
    return representation_gate(
        inputs.representation,
        max_relative_drop=gates.representation_max_relative_drop,
        max_relative_rise=gates.representation_max_relative_rise,
        min_group_quality=gates.representation_min_group_quality,
        min_real_share=gates.representation_min_real_share,
    )


def _value_ranges(inputs: GateInputs) -> GateOutcome:
    return value_range_gate(
        inputs.spec,
        inputs.train,
        inputs.holdout,
        inputs.synthetic,
        max_rate_above_holdout=inputs.spec.gates.max_out_of_range_rate_above_holdout,
    )


def _rules(inputs: GateInputs) -> GateOutcome:
    real = pd.concat([inputs.train, inputs.holdout], ignore_index=True)
    return rules_gate(inputs.spec.sampling_rules, real, inputs.synthetic, inputs.reference_values)


@dataclass(frozen=True)
class Gate:
    """One gate: its check name, the spec fields it needs, and how it judges a synthetic table."""

    name: str
    question: str
    """What the gate asks, for a person reading the check in the UI."""
    needs: tuple[str, ...]
    """Fields of the dataset spec that must be set (non-empty) for the gate to apply."""
    judge: Callable[[GateInputs], GateOutcome]

    def applies_to(self, spec: DatasetSpec) -> bool:
        return all(getattr(spec, field) for field in self.needs)


GATES: tuple[Gate, ...] = (
    Gate("fidelity", "Do columns and column pairs look like the real ones?", (), _fidelity),
    Gate("value_ranges", "Do values stay inside the real ranges and declared categories?", (), _value_ranges),
    Gate("rules", "Does every synthetic row keep every business rule?", ("sampling_rules",), _rules),
    Gate("detection", "Can a classifier tell synthetic rows from unseen real ones?", (), _detection),
    Gate(
        "utility", "Does a model trained on synthetic rows predict the real holdout?", ("target",), _utility
    ),
    Gate(
        "distance_to_closest_record",
        "Are synthetic rows no closer to training rows than to unseen real rows?",
        (),
        _distance_to_closest_record,
    ),
    Gate("exact_copies", "Are training rows copied more often than chance allows?", (), _exact_copies),
    Gate(
        "rare_combinations",
        "Are rare quasi-identifier combinations of training rows reproduced?",
        ("quasi_identifiers",),
        _rare_combinations,
    ),
    Gate("identifier_leakage", "Does any identifier of the real rows appear?", (), _identifier_leakage),
    Gate(
        "representation",
        "Is every sensitive group present in its real share and quality?",
        ("sensitive",),
        _representation,
    ),
)
"""Every gate, in the order they are evaluated and reported."""


def applicable_gates(spec: DatasetSpec) -> list[Gate]:
    """The gates a synthetic table of ``spec`` must pass."""
    return [gate for gate in GATES if gate.applies_to(spec)]
