"""Fidelity gate: a copy is perfect, independently shuffled columns lose every pair trend."""

from __future__ import annotations

import pytest

from accrete.validation.fidelity import fidelity_gate, fidelity_scores
from bench.adult import ADULT_SCHEMA
from tests.unit.validation_data import shuffled_columns, train


@pytest.fixture(scope="module")
def shuffled_scores():
    return fidelity_scores(train(), shuffled_columns(train()), ADULT_SCHEMA)


def test_copy_is_perfect_and_passes():
    scores = fidelity_scores(train(), train(), ADULT_SCHEMA)
    assert scores.quality == pytest.approx(1.0)
    assert scores.diagnostic == pytest.approx(1.0)
    assert fidelity_gate(scores).passed


def test_shuffled_columns_fail_on_pair_trends_only(shuffled_scores):
    outcome = fidelity_gate(shuffled_scores)
    assert not outcome.passed
    assert shuffled_scores.column_shapes == pytest.approx(1.0)
    assert "column pair trends" in outcome.summary.split("below the minimum on")[1]
    assert "column shapes" not in outcome.summary.split("below the minimum on")[1]
    assert "education/education_num" in outcome.summary
    assert "Column pair trends, worst first" in outcome.details_md


def test_fidelity_thresholds_are_honoured(shuffled_scores):
    assert fidelity_gate(shuffled_scores, min_column_pair_trends=0.5).passed
    assert not fidelity_gate(shuffled_scores, min_column_pair_trends=0.5, min_quality=0.99).passed
