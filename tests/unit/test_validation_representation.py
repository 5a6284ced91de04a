"""Representation gate: every sensitive group keeps its share and its quality."""

from __future__ import annotations

import pandas as pd
import pytest

from accrete.validation.representation import representation_gate, representation_table
from bench.adult import ADULT_SCHEMA, SENSITIVE
from tests.unit.validation_data import fresh, gaussian_copula_sample, train


def test_generated_rows_cover_every_group():
    table = representation_table(train(), gaussian_copula_sample(), ADULT_SCHEMA, SENSITIVE)
    assert set(table["attribute"]) == {"race", "sex"}
    assert table.groupby("attribute")["real_share"].sum().tolist() == pytest.approx([1.0, 1.0])
    outcome = representation_gate(table)
    assert outcome.passed, outcome.summary


def test_removed_group_fails_and_is_named():
    synthetic = gaussian_copula_sample()
    synthetic = synthetic[synthetic["race"] != "Black"]
    outcome = representation_gate(representation_table(train(), synthetic, ADULT_SCHEMA, SENSITIVE))
    assert not outcome.passed
    assert "race=Black" in outcome.summary and "-100%" in outcome.summary
    assert "Groups that fail" in outcome.details_md


def test_inflated_group_fails_and_is_named():
    synthetic = fresh()
    asian = synthetic[synthetic["race"] == "Asian-Pac-Islander"]
    inflated = pd.concat([synthetic, asian, asian]).reset_index(drop=True)
    outcome = representation_gate(representation_table(train(), inflated, ADULT_SCHEMA, SENSITIVE))
    assert not outcome.passed
    assert "race=Asian-Pac-Islander" in outcome.summary
    assert outcome.metrics["largest_relative_rise"] > 1.0
    assert representation_gate(
        representation_table(train(), inflated, ADULT_SCHEMA, ["race"]),
        max_relative_rise=3.0,
        max_relative_drop=1.0,
    ).passed


def test_fresh_real_rows_pass():
    outcome = representation_gate(representation_table(train(), fresh(), ADULT_SCHEMA, SENSITIVE))
    assert outcome.passed, outcome.summary


def test_share_tolerance_and_minimum_share_are_honoured():
    synthetic = gaussian_copula_sample()
    women = synthetic.index[synthetic["sex"] == "Female"]
    halved = synthetic.drop(women[: len(women) * 6 // 10])
    table = representation_table(train(), halved, ADULT_SCHEMA, ["sex"])
    assert not representation_gate(table).passed
    assert representation_gate(table, max_relative_drop=0.6).passed

    without_smallest = synthetic[synthetic["race"] != "Other"]
    table = representation_table(train(), without_smallest, ADULT_SCHEMA, ["race"])
    assert not representation_gate(table).passed
    assert representation_gate(table, min_real_share=0.01).passed  # "Other" is under 1% of the rows


def test_numerical_attribute_is_grouped_in_quintiles():
    table = representation_table(train(), train(), ADULT_SCHEMA, ["age"])
    assert 4 <= len(table) <= 5
    assert table["relative_change"].abs().max() == pytest.approx(0.0)
    assert table["quality"].min() == pytest.approx(1.0)
