"""Sampling as the spec asks: conditions and rebalanced group shares, exactly, with provenance."""

import pandas as pd
import pytest

from accrete.generator.autoregressive.backend import AutoregressiveBackend
from accrete.generator.base import GeneratorError
from accrete.generator.model_store import ModelStore
from accrete.spec import RebalanceSpec, SyntheticSpec
from accrete.synthetic.sample import sample_synthetic
from tests.unit.adult_sample import adult_rows, adult_schema


@pytest.fixture(scope="module")
def stored_model(tmp_path_factory):
    schema = adult_schema()
    backend = AutoregressiveBackend(schema, {"epochs": 3, "max_seconds": 10}, seed=0)
    backend.fit(adult_rows(2000))
    store = ModelStore(tmp_path_factory.mktemp("models"))
    stored = store.save("adult", "v1", backend, {})
    return store.load(stored, schema), stored, schema


def test_rows_carry_provenance_and_types(stored_model):
    backend, stored, schema = stored_model
    rows, _ = sample_synthetic(backend, stored, schema, SyntheticSpec(rows=300), run_id="run-9")
    assert len(rows) == 300
    assert (rows["_source"] == "synthetic").all() and (rows["_generator_version"] == "v1").all()
    assert (rows["_run_id"] == "run-9").all() and rows["_real_row_id"].isna().all()
    assert str(rows["age"].dtype) == "Int64"
    again, _ = sample_synthetic(backend, stored, schema, SyntheticSpec(rows=300), run_id="run-10")
    pd.testing.assert_frame_equal(rows.drop(columns="_run_id"), again.drop(columns="_run_id"))


def test_conditions_and_rebalancing_are_exact(stored_model):
    backend, stored, schema = stored_model
    synthetic = SyntheticSpec(
        rows=400,
        conditions={"income": ">50K"},
        rebalance=RebalanceSpec(column="race", shares={"Amer-Indian-Eskimo": 0.1}),
    )
    rows, _ = sample_synthetic(backend, stored, schema, synthetic, run_id="run-1")
    assert (rows["income"] == ">50K").all()
    assert (rows["race"] == "Amer-Indian-Eskimo").sum() == 40


def test_impossible_condition_is_a_clear_error(stored_model):
    backend, stored, schema = stored_model
    with pytest.raises(GeneratorError, match="Martian"):
        sample_synthetic(backend, stored, schema, SyntheticSpec(rows=10, conditions={"race": "Martian"}), "r")
