"""All gates run with the thresholds of the dataset spec, and only those the spec makes applicable."""

import pandas as pd
import pytest

from accrete.spec import DatasetSpec, load_spec
from accrete.validation.gates import GATES, applicable_gates
from accrete.validation.suite import validate_synthetic
from bench.validation import spec_columns
from tests.conftest import ADULT_SPEC
from tests.unit.validation_data import holdout, train


def with_missing_flags(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """The spec's training columns: imputed columns filled with their own mode, plus their flags."""
    return spec_columns(frame, spec, reference=frame)


def strict_and_lenient(spec: DatasetSpec) -> tuple[DatasetSpec, DatasetSpec]:
    lenient_gates = spec.gates.model_copy(
        update={
            "dcr_max_share_above_expected": 1.0,
            "dcr_max_close_share": 1.0,
            "max_copy_rate_above_holdout": 1.0,
            "max_rare_combination_rate_above_holdout": 1.0,
            "max_detection_auc": 1.0,
        }
    )
    return spec, spec.model_copy(update={"gates": lenient_gates})


@pytest.fixture(scope="module")
def copied_training_rows():
    spec = load_spec(ADULT_SPEC)
    real = with_missing_flags(train(), spec)
    return spec, real, with_missing_flags(holdout(), spec)


def test_a_copy_of_the_training_data_fails_privacy_under_the_spec_thresholds(copied_training_rows):
    spec, real, real_holdout = copied_training_rows
    strict, lenient = strict_and_lenient(spec)
    verdicts = {
        o.name: o.passed for o in validate_synthetic(strict, real, real_holdout, real.copy()).outcomes
    }
    assert list(verdicts) == [gate.name for gate in applicable_gates(spec)]
    assert verdicts["fidelity"] and verdicts["utility"]
    assert not verdicts["distance_to_closest_record"] and not verdicts["exact_copies"]
    relaxed = {
        o.name: o.passed for o in validate_synthetic(lenient, real, real_holdout, real.copy()).outcomes
    }
    assert relaxed["distance_to_closest_record"] and relaxed["exact_copies"]


def test_gates_follow_what_the_spec_declares(adult_spec):
    bare = adult_spec.model_copy(
        update={"target": None, "sensitive": [], "quasi_identifiers": [], "rules": []}
    )
    assert [gate.name for gate in applicable_gates(bare)] == [
        "fidelity",
        "value_ranges",
        "detection",
        "distance_to_closest_record",
        "exact_copies",
        "identifier_leakage",
    ]
    assert [gate.name for gate in applicable_gates(adult_spec)] == [gate.name for gate in GATES]
