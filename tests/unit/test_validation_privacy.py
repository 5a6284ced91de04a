"""Privacy gates on real Adult rows: copies and memorized rows must fail, fresh rows and a fitted generator pass."""

from __future__ import annotations

import pytest

from accrete.validation.privacy import (
    dcr_gate,
    distance_to_closest_record,
    exact_copies_gate,
    rare_combination_gate,
)
from bench.adult import ADULT_SCHEMA, QUASI_IDENTIFIERS
from tests.unit.validation_data import fresh, gaussian_copula_sample, holdout, train


def with_training_rows(frame, share: float):
    """``frame`` with its first ``share`` of rows replaced by training rows (memorized rows)."""
    mixed = frame.copy()
    count = int(len(mixed) * share)
    mixed.iloc[:count] = train().sample(n=count, random_state=1).to_numpy()
    return mixed.astype(frame.dtypes.to_dict())


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
    assert outcome.metrics["close_share"] == 1.0
    assert "nearest training" in outcome.details_md


def test_fresh_rows_pass_and_five_percent_memorized_rows_fail():
    honest = dcr_gate(distance_to_closest_record(train(), holdout(), fresh(), ADULT_SCHEMA), train(), fresh())
    assert honest.passed, honest.summary
    assert honest.metrics["close_share_ci_low"] < 0.05 < honest.metrics["close_share_ci_high"]
    memorized = with_training_rows(fresh(), 0.05)
    outcome = dcr_gate(
        distance_to_closest_record(train(), holdout(), memorized, ADULT_SCHEMA), train(), memorized
    )
    assert not outcome.passed, outcome.summary
    assert outcome.metrics["close_share_ci_low"] > outcome.ceilings["close_share"]


def test_generated_rows_pass_distance_to_closest_record(generated_dcr):
    outcome = dcr_gate(generated_dcr, train(), gaussian_copula_sample())
    assert outcome.passed, outcome.summary
    assert abs(outcome.metrics["share_closer_to_training"] - 0.5) < 0.1
    assert outcome.details_md == ""


def test_dcr_thresholds_are_honoured(copy_dcr, generated_dcr):
    assert dcr_gate(copy_dcr, train(), train(), max_share_above_expected=1.0, max_close_share=1.0).passed
    assert not dcr_gate(
        generated_dcr, train(), gaussian_copula_sample(), max_share_above_expected=-0.2
    ).passed
    assert not dcr_gate(copy_dcr, train(), train(), max_share_above_expected=1.0).passed  # close records


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


def test_exact_copies():
    copied = exact_copies_gate(train(), holdout(), train(), ADULT_SCHEMA)
    assert not copied.passed
    assert copied.metrics["copy_rate"] == 1.0
    assert copied.metrics["holdout_copy_rate"] < 0.01
    assert "Synthetic rows copied from training" in copied.details_md
    assert exact_copies_gate(train(), holdout(), gaussian_copula_sample(), ADULT_SCHEMA).passed
    assert exact_copies_gate(train(), holdout(), fresh(), ADULT_SCHEMA).passed
    assert exact_copies_gate(
        train(), holdout(), train(), ADULT_SCHEMA, max_copy_rate_above_holdout=1.0
    ).passed


def test_a_few_copies_among_generated_rows_are_counted_exactly():
    mixed = gaussian_copula_sample()
    mixed.iloc[:30] = train().iloc[:30].to_numpy()
    outcome = exact_copies_gate(train(), holdout(), mixed, ADULT_SCHEMA)
    assert outcome.metrics["copies"] == 30
    assert not outcome.passed, outcome.summary  # 1% copies: significantly more than the holdout's rate
    assert outcome.metrics["excess_ci_low"] > 0


def test_one_training_row_repeated_fails_exact_copies():
    repeated = fresh()
    repeated.iloc[:150] = train().iloc[[0] * 150].to_numpy()
    assert not exact_copies_gate(train(), holdout(), repeated, ADULT_SCHEMA).passed


def test_rare_combinations():
    copied = rare_combination_gate(train(), holdout(), train(), ADULT_SCHEMA, QUASI_IDENTIFIERS)
    assert not copied.passed
    assert copied.metrics["synthetic_rate"] > copied.metrics["holdout_rate"] + 0.1
    assert "synthetic_rows" in copied.details_md
    generated = rare_combination_gate(
        train(), holdout(), gaussian_copula_sample(), ADULT_SCHEMA, QUASI_IDENTIFIERS
    )
    assert generated.passed, generated.summary
    assert rare_combination_gate(train(), holdout(), fresh(), ADULT_SCHEMA, QUASI_IDENTIFIERS).passed
    lenient = rare_combination_gate(
        train(), holdout(), train(), ADULT_SCHEMA, QUASI_IDENTIFIERS, max_rate_above_holdout=1.0
    )
    assert lenient.passed
