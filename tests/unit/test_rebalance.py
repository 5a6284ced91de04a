"""Rebalancing gives exact group counts through any backend's conditional sampling."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from accrete.generator.autoregressive.backend import AutoregressiveBackend
from accrete.generator.base import FitReport, GeneratorBackend, GeneratorError
from accrete.synthetic.rebalance import group_counts, sample_with_shares
from accrete.table_schema import ModelColumn, TableSchema
from tests.unit.adult_sample import adult_rows, adult_schema

SCHEMA = TableSchema(columns=(ModelColumn("group", "categorical"), ModelColumn("value", "numerical")))


class ResamplingBackend(GeneratorBackend):
    """A stand-in backend that resamples a fixed table and honours conditions by filtering it."""

    name = "resampling"

    def fit(self, data, progress=None):
        self.table = data.reset_index(drop=True)
        return FitReport(seconds=0.0, rows=len(data))

    def sample(self, num_rows, conditions=None, seed=None):
        pool = self.table
        for column, value in (conditions or {}).items():
            pool = pool[pool[column] == value]
        if pool.empty:
            raise GeneratorError(f"no rows with {conditions}")
        return pool.sample(n=num_rows, replace=True, random_state=seed).reset_index(drop=True)

    def save(self, directory: Path):
        return []

    @classmethod
    def load(cls, directory: Path, schema: TableSchema):
        raise NotImplementedError


@pytest.fixture
def backend():
    table = pd.DataFrame({"group": ["a"] * 90 + ["b"] * 9 + ["c"], "value": range(100)})
    resampler = ResamplingBackend(SCHEMA)
    resampler.fit(table)
    return resampler


def test_group_counts_add_up_and_stay_within_one_row():
    counts = group_counts(1_001, {"a": 0.5, "b": 0.3, "c": 0.2})
    assert sum(counts.values()) == 1_001
    assert all(
        abs(counts[value] - share * 1_001) < 1 for value, share in {"a": 0.5, "b": 0.3, "c": 0.2}.items()
    )


def test_a_rare_group_gets_exactly_its_share(backend):
    rows = sample_with_shares(backend, 1_000, "group", {"c": 0.10}, seed=1)
    counts = rows["group"].value_counts()
    assert len(rows) == 1_000 and counts["c"] == 100
    assert counts["a"] > 7 * counts["b"], "the other groups keep the backend's proportions"


def test_shares_that_cover_every_group_skip_the_pilot(backend):
    rows = sample_with_shares(backend, 500, "group", {"a": 0.2, "b": 0.3, "c": 0.5})
    assert rows["group"].value_counts().to_dict() == {"c": 250, "b": 150, "a": 100}


@pytest.mark.parametrize("shares", [{"a": 0.8, "b": 0.4}, {"a": -0.1}, {}])
def test_bad_shares_are_rejected(backend, shares):
    with pytest.raises(GeneratorError):
        sample_with_shares(backend, 100, "group", shares)


def test_rebalancing_the_torch_generator_is_exact():
    generator = AutoregressiveBackend(adult_schema(), {"epochs": 3, "hidden": 16, "max_seconds": None})
    generator.fit(adult_rows(2_000))
    rows = sample_with_shares(
        generator, 2_000, "race", {"Amer-Indian-Eskimo": 0.25}, conditions={"income": ">50K"}
    )
    assert (rows["race"] == "Amer-Indian-Eskimo").sum() == 500 and (rows["income"] == ">50K").all()
