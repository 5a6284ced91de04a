"""Utility gate: train on synthetic, test on the real holdout, against train on real."""

from __future__ import annotations

import pytest

from accrete.validation.utility import utility_gate, utility_scores
from bench.adult import ADULT_SCHEMA, TARGET
from tests.unit.validation_data import holdout, shuffled_columns, train


def test_copy_of_training_has_full_utility():
    result = utility_scores(train(), holdout(), train(), ADULT_SCHEMA, TARGET)
    assert result.metric == "roc_auc"
    assert result.real_score > 0.85
    assert result.ratio == pytest.approx(1.0)
    outcome = utility_gate(result)
    assert outcome.passed
    assert set(outcome.metrics) >= {"real_accuracy", "synthetic_f1_macro", "ratio"}


def test_shuffled_columns_have_no_utility_and_thresholds_are_honoured():
    result = utility_scores(train(), holdout(), shuffled_columns(train()), ADULT_SCHEMA, TARGET)
    assert result.ratio < 0.75
    outcome = utility_gate(result)
    assert not outcome.passed
    assert "Holdout scores" in outcome.details_md
    assert utility_gate(result, min_ratio=0.3).passed


def test_numerical_target_is_scored_by_r2():
    result = utility_scores(train(), holdout(), train(), ADULT_SCHEMA, "education_num")
    assert result.metric == "r2"
    assert result.real_score > 0.9  # education determines education_num
    assert utility_gate(result).passed
