"""Privacy gates on real Adult rows: a copy of the training data must fail, a fitted generator pass."""

from __future__ import annotations

import pytest

from accrete.validation.privacy import (
    dcr_gate,
    distance_to_closest_record,
    exact_copies_gate,
    rare_combination_gate,
    wilson_interval,
)
from bench.adult import ADULT_SCHEMA, QUASI_IDENTIFIERS
from tests.unit.validation_data import gaussian_copula_sample, holdout, train


@pytest.fixture(scope="module")
def copy_dcr():
    return distance_to_closest_record(train(), holdout(), train(), ADULT_SCHEMA, device="cpu")


@pytest.fixture(scope="module")
def generated_dcr():
    return distance_to_closest_record(
        train(), holdout(), gaussian_copula_sample(), ADULT_SCHEMA, device="cpu"
    )


def test_copy_of_training_fails_distance_to_closest_record(copy_dcr):
    outcome = dcr_gate(copy_dcr, train(), train())
    assert not outcome.passed
    assert outcome.metrics["share_closer_to_training"] > 0.95
    assert outcome.metrics["expected_share"] == pytest.approx(0.5)
    assert outcome.metrics["synthetic_p5_distance"] == 0.0
    assert outcome.metrics["holdout_p5_distance"] > 0.0
    assert "nearest training" in outcome.details_md


def test_generated_rows_pass_distance_to_closest_record(generated_dcr):
    outcome = dcr_gate(generated_dcr, train(), gaussian_copula_sample())
    assert outcome.passed, outcome.summary
    assert abs(outcome.metrics["share_closer_to_training"] - 0.5) < 0.1
    assert outcome.details_md == ""


def test_dcr_thresholds_are_honoured(copy_dcr, generated_dcr):
    assert dcr_gate(copy_dcr, train(), train(), max_share_above_expected=1.0, min_p5_ratio=0.0).passed
    assert not dcr_gate(
        generated_dcr, train(), gaussian_copula_sample(), max_share_above_expected=-0.2
    ).passed
    assert not dcr_gate(generated_dcr, train(), gaussian_copula_sample(), min_p5_ratio=1e6).passed


def test_dcr_on_a_sample_reports_its_size_and_interval():
    dcr = distance_to_closest_record(
        train(), holdout(), train(), ADULT_SCHEMA, max_query_rows=400, device="cpu"
    )
    outcome = dcr_gate(dcr, train(), train())
    assert dcr.sampled and len(dcr.synthetic_to_train) == 400 and len(dcr.holdout_to_train) == 400
    assert outcome.metrics["searched_synthetic_rows"] == 400
    assert (
        outcome.metrics["share_ci_low"]
        <= outcome.metrics["share_closer_to_training"]
        <= outcome.metrics["share_ci_high"]
    )
    assert "400 of 3,000 synthetic rows" in outcome.summary


def test_expected_share_follows_training_and_holdout_sizes():
    dcr = distance_to_closest_record(
        train(), holdout().head(1_000), gaussian_copula_sample().head(500), ADULT_SCHEMA
    )
    assert dcr.expected_share == pytest.approx(0.75)
    assert abs(dcr.share_closer_to_training - 0.75) < 0.1


def test_wilson_interval_known_value():
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-3) and high == pytest.approx(0.5962, abs=1e-3)


def test_exact_copies():
    copied = exact_copies_gate(train(), holdout(), train(), ADULT_SCHEMA)
    assert not copied.passed
    assert copied.metrics["copy_rate"] == 1.0
    assert copied.metrics["holdout_copy_rate"] < 0.01
    assert "Synthetic rows copied from training" in copied.details_md
    assert exact_copies_gate(train(), holdout(), gaussian_copula_sample(), ADULT_SCHEMA).passed
    assert exact_copies_gate(
        train(), holdout(), train(), ADULT_SCHEMA, max_copy_rate_above_holdout=1.0
    ).passed


def test_a_few_copies_among_generated_rows_are_counted_exactly():
    mixed = gaussian_copula_sample()
    mixed.iloc[:90] = train().iloc[:90].to_numpy()
    outcome = exact_copies_gate(train(), holdout(), mixed, ADULT_SCHEMA)
    assert outcome.metrics["copies"] == 90
    assert not outcome.passed  # 3% copies against under 1% allowed


def test_rare_combinations():
    copied = rare_combination_gate(train(), holdout(), train(), ADULT_SCHEMA, QUASI_IDENTIFIERS)
    assert not copied.passed
    assert copied.metrics["synthetic_rate"] > copied.metrics["holdout_rate"] + 0.1
    assert "synthetic_rows" in copied.details_md
    generated = rare_combination_gate(
        train(), holdout(), gaussian_copula_sample(), ADULT_SCHEMA, QUASI_IDENTIFIERS
    )
    assert generated.passed, generated.summary
    lenient = rare_combination_gate(
        train(), holdout(), train(), ADULT_SCHEMA, QUASI_IDENTIFIERS, max_rate_above_holdout=1.0
    )
    assert lenient.passed
