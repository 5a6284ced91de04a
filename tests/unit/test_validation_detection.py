"""Detection gate: real holdout rows are indistinguishable, shuffled columns are not."""

from __future__ import annotations

import pytest

from accrete.validation.detection import detection_gate, detection_scores
from bench.adult import ADULT_SCHEMA
from tests.unit.validation_data import holdout, shuffled_columns, train

ROWS = 2_000


@pytest.fixture(scope="module")
def shuffled_detection():
    return detection_scores(train(), shuffled_columns(train()), ADULT_SCHEMA, max_rows=ROWS)


def test_fresh_real_rows_are_indistinguishable():
    result = detection_scores(train(), holdout(), ADULT_SCHEMA, max_rows=ROWS)
    assert abs(result.auc - 0.5) < 0.06
    assert result.rows_per_side == ROWS
    assert detection_gate(result).passed


def test_shuffled_columns_are_detected_through_their_broken_relationships(shuffled_detection):
    outcome = detection_gate(shuffled_detection)
    assert not outcome.passed
    assert shuffled_detection.auc > 0.9
    top = set(shuffled_detection.column_importance.index[:4])
    assert top & {"education", "education_num", "relationship", "marital_status"}
    assert "Columns that give synthetic rows away" in outcome.details_md
    assert "p_synthetic" in outcome.details_md


def test_detection_threshold_is_honoured(shuffled_detection):
    assert detection_gate(shuffled_detection, max_auc=1.0).passed
