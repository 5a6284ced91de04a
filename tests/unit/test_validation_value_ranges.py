"""Value ranges: out-of-range numbers and unknown categories fail; fresh real rows pass."""

from __future__ import annotations

import pytest

from accrete.spec import load_spec
from accrete.validation.value_ranges import column_domains, value_range_gate
from tests.conftest import ADULT_SPEC
from tests.unit.test_validation_suite import with_missing_flags
from tests.unit.validation_data import fresh, holdout, train


@pytest.fixture(scope="module")
def tables():
    spec = load_spec(ADULT_SPEC)
    return spec, with_missing_flags(train(), spec), with_missing_flags(holdout(), spec)


def test_fresh_real_rows_stay_in_range(tables):
    spec, real, real_holdout = tables
    outcome = value_range_gate(spec, real, real_holdout, with_missing_flags(fresh(), spec))
    assert outcome.passed, outcome.summary


def test_declared_bounds_come_first_and_training_rows_bound_the_rest(tables):
    spec, real, _ = tables
    domains = {domain.name: domain for domain in column_domains(spec, real)}
    assert (domains["age"].low, domains["age"].high) == (17, 90)
    assert domains["fnlwgt"].high == real["fnlwgt"].max()
    assert "Male" in domains["sex"].categories


def test_ages_of_140_and_unknown_categories_fail(tables):
    spec, real, real_holdout = tables
    synthetic = with_missing_flags(fresh(), spec)
    synthetic.loc[:29, "age"] = 140
    outcome = value_range_gate(spec, real, real_holdout, synthetic)
    assert not outcome.passed and "'age'" in outcome.summary and "140" in outcome.summary
    synthetic = with_missing_flags(fresh(), spec)
    synthetic.loc[:29, "workclass"] = "Astronaut"
    outcome = value_range_gate(spec, real, real_holdout, synthetic)
    assert not outcome.passed and "Astronaut" in outcome.details_md


def test_a_single_value_outside_a_declared_domain_fails(tables):
    spec, real, real_holdout = tables
    synthetic = with_missing_flags(fresh(), spec)
    synthetic.loc[0, "age"] = 140
    outcome = value_range_gate(spec, real, real_holdout, synthetic, max_rate_above_holdout=0.5)
    assert not outcome.passed and "'age'" in outcome.summary


def test_a_training_range_is_judged_against_the_holdout(tables):
    spec, real, real_holdout = tables
    synthetic = with_missing_flags(fresh(), spec)
    synthetic.loc[:29, "fnlwgt"] = real["fnlwgt"].max() * 10
    outcome = value_range_gate(spec, real, real_holdout, synthetic)
    assert not outcome.passed and "'fnlwgt'" in outcome.summary and "training range" in outcome.summary
    assert value_range_gate(spec, real, real_holdout, synthetic, max_rate_above_holdout=0.5).passed
