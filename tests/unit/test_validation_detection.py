"""Detection gate: fresh real rows are indistinguishable, shuffled columns are not, copies are tied to training."""

from __future__ import annotations

import pytest

from accrete.validation.detection import detection_ceiling, detection_gate, detection_scores
from bench.adult import ADULT_SCHEMA
from tests.unit.validation_data import fresh, holdout, shuffled_columns, train

ROWS = 2_000


@pytest.fixture(scope="module")
def shuffled_detection():
    return detection_scores(train(), holdout(), shuffled_columns(fresh()), ADULT_SCHEMA, max_rows=ROWS)


def test_fresh_real_rows_are_indistinguishable():
    result = detection_scores(train(), holdout(), fresh(), ADULT_SCHEMA, max_rows=ROWS)
    assert result.auc_interval[0] < 0.5 < result.auc_interval[1]
    assert result.training_auc_interval[1] > 0.5
    assert result.rows_per_side == ROWS // 2
    outcome = detection_gate(result, detection_ceiling(train(), holdout(), ADULT_SCHEMA, max_rows=ROWS))
    assert outcome.passed, outcome.summary
    assert abs(outcome.ceilings["auc"] - 0.5) < 0.06


def test_shuffled_columns_are_detected_through_their_broken_relationships(shuffled_detection):
    outcome = detection_gate(shuffled_detection)
    assert not outcome.passed
    assert shuffled_detection.auc_interval[0] > 0.9
    top = set(shuffled_detection.column_importance.index[:4])
    assert top & {"education", "education_num", "relationship", "marital_status"}
    assert "Columns that give synthetic rows away" in outcome.details_md
    assert "p_synthetic" in outcome.details_md


def test_a_copy_of_the_training_rows_is_caught_below_one_half():
    result = detection_scores(train(), holdout(), train(), ADULT_SCHEMA, max_rows=ROWS)
    assert result.training_auc_interval[1] < 0.5
    outcome = detection_gate(result)
    assert not outcome.passed
    assert outcome.metrics["training_auc"] < 0.5


def test_detection_threshold_is_honoured(shuffled_detection):
    assert detection_gate(shuffled_detection, max_auc=1.0).passed
