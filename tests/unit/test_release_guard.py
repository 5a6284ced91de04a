"""The data guard releases a generation only with a recorded, passing verdict from every gate."""

from accrete.validation.expectations import suite_outcome_name
from accrete.validation.outcome import GateOutcome
from accrete.validation.privacy import exact_copies_gate
from accrete.validation.release_guard import release_problems, required_verdicts
from bench.adult import ADULT_SCHEMA
from tests.unit.validation_data import holdout, train


def passing(name: str) -> GateOutcome:
    return GateOutcome(name=name, passed=True, summary="ok", metrics={}, details_md="")


def test_every_applicable_gate_and_the_suite_are_required(adult_spec):
    required = required_verdicts(adult_spec)
    assert {"fidelity", "detection", "utility", "exact_copies", "representation"} <= set(required)
    assert suite_outcome_name("synthetic") in required
    bare = adult_spec.model_copy(update={"target": None})
    assert "utility" not in required_verdicts(bare)


def test_all_verdicts_passing_releases_the_generation(adult_spec):
    assert release_problems(adult_spec, [passing(name) for name in required_verdicts(adult_spec)]) == []


def test_a_missing_verdict_holds_the_generation(adult_spec):
    outcomes = [passing(name) for name in required_verdicts(adult_spec) if name != "detection"]
    assert release_problems(adult_spec, outcomes) == ["detection: no verdict recorded"]
    assert len(release_problems(adult_spec, [])) == len(required_verdicts(adult_spec))


def test_a_failed_gate_holds_the_generation(adult_spec):
    """A verbatim copy of the training rows really fails the exact-copies gate, and that holds it."""
    real = train()[ADULT_SCHEMA.names]
    copied = exact_copies_gate(real, holdout()[ADULT_SCHEMA.names], real.copy(), ADULT_SCHEMA)
    assert not copied.passed
    outcomes = [passing(name) for name in required_verdicts(adult_spec) if name != "exact_copies"]
    problems = release_problems(adult_spec, [*outcomes, copied])
    assert problems == [f"exact_copies: failed ({copied.summary})"]
