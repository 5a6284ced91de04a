"""Distance features, classifier features, row hashes and the blocked nearest-neighbour search."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from accrete.table_schema import ModelColumn, TableSchema
from accrete.validation.feature_encoding import TableEncoder, row_hashes
from accrete.validation.nearest_neighbours import nearest_neighbours

SCHEMA = TableSchema(
    (ModelColumn("amount", "numerical"), ModelColumn("colour", "categorical"), ModelColumn("flag", "boolean"))
)
REAL = pd.DataFrame(
    {
        "amount": np.arange(101, dtype=float),
        "colour": ["red", "blue"] * 50 + ["red"],
        "flag": [True, False] * 50 + [True],
    }
)


def _distance(encoder: TableEncoder, first: dict, second: dict) -> float:
    features = encoder.distance_features(pd.DataFrame([first, second]))
    return float(np.linalg.norm(features[0] - features[1]))


def test_distance_is_the_root_mean_square_column_difference():
    encoder = TableEncoder(SCHEMA, REAL)
    row = {"amount": 10.0, "colour": "red", "flag": True}
    assert _distance(encoder, row, row) == 0.0
    assert _distance(encoder, row, {**row, "colour": "blue"}) == pytest.approx(np.sqrt(1 / 3))
    assert _distance(encoder, row, {**row, "flag": False}) == pytest.approx(np.sqrt(1 / 3))
    # robust range: 1st to 99th percentile of 0..100 is 1..99, so a gap of 49 is half of it
    assert _distance(encoder, row, {**row, "amount": 59.0}) == pytest.approx(np.sqrt(0.25 / 3))


def test_unseen_category_and_outlier_are_bounded():
    encoder = TableEncoder(SCHEMA, REAL)
    row = {"amount": 50.0, "colour": "red", "flag": True}
    assert _distance(encoder, row, {**row, "colour": "green"}) == pytest.approx(np.sqrt(1 / 3))
    far = _distance(encoder, row, {**row, "amount": 1e9})
    assert far == pytest.approx(_distance(encoder, row, {**row, "amount": 1e6}))
    assert far < 1.1


def test_classifier_features_keep_numbers_and_code_categories():
    encoder = TableEncoder(SCHEMA, REAL)
    features = encoder.classifier_features(
        pd.DataFrame({"amount": [3.5, None], "colour": ["blue", "green"], "flag": [True, False]})
    )
    assert features[0, 0] == 3.5 and np.isnan(features[1, 0])
    assert features[1, 1] == 2  # unseen colour: the "other" code after red and blue
    assert encoder.categorical_mask == [False, True, True]


def test_row_hashes_ignore_dtype_but_not_values():
    as_int = pd.DataFrame({"amount": [1, 2], "colour": ["red", "blue"], "flag": [True, False]})
    as_float = as_int.astype({"amount": "float64"})
    changed = as_int.assign(colour=["red", "green"])
    assert (row_hashes(as_int, SCHEMA) == row_hashes(as_float, SCHEMA)).all()
    assert list(row_hashes(as_int, SCHEMA) == row_hashes(changed, SCHEMA)) == [True, False]


def test_blocked_search_matches_brute_force():
    rng = np.random.default_rng(0)
    references = rng.normal(size=(3_000, 12)).astype(np.float32)
    queries = rng.normal(size=(500, 12)).astype(np.float32)
    distances, indices = nearest_neighbours(queries, references, "cpu", block_elements=50_000)
    exact = torch.cdist(
        torch.as_tensor(queries, dtype=torch.float64), torch.as_tensor(references, dtype=torch.float64)
    )
    assert np.allclose(distances, exact.min(dim=1).values.numpy(), atol=1e-9)
    assert (indices == exact.argmin(dim=1).numpy()).mean() > 0.99


def test_exact_copy_has_distance_zero():
    references = np.random.default_rng(1).normal(size=(200, 5)).astype(np.float32) * 1e3
    distances, indices = nearest_neighbours(references[:20], references, "cpu")
    assert (distances == 0).all()
    assert (indices == np.arange(20)).all()
