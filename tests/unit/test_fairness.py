"""Fairness on purpose: the target sampled independently of a sensitive attribute, exactly."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import yaml

from accrete.generator.autoregressive.backend import AutoregressiveBackend
from accrete.generator.base import GeneratorError
from accrete.report.data_card import render_data_card
from accrete.spec import FairnessSpec, RebalanceSpec, SpecError, SyntheticSpec, load_spec
from accrete.synthetic.fairness import sample_fair
from accrete.synthetic.sample import draw_rows
from accrete.validation.outcome import GateOutcome
from accrete.validation.parity import ParityGaps, parity_gap
from accrete.validation.utility import utility_scores
from tests.conftest import ADULT_SPEC
from tests.unit.adult_sample import adult_rows, adult_schema
from tests.unit.validation_data import holdout, train

ROWS = 3_000


@pytest.fixture(scope="module")
def backend():
    """A quick fit (about 2 s) that learns enough of the real bias to sample a parity gap near 0.1."""
    generator = AutoregressiveBackend(adult_schema(), {"epochs": 6, "max_seconds": 10}, seed=0)
    generator.fit(adult_rows(5_000))
    return generator


def test_parity_gap_is_the_largest_difference_in_a_value_share_between_groups():
    rows = pd.DataFrame({"y": ["a", "a", "b", "a", "b", "c"], "s": ["m", "m", "m", "f", "f", "f"]})
    assert parity_gap(rows, "y", "s") == pytest.approx(1 / 3)
    assert math.isnan(parity_gap(rows.assign(s="m"), "y", "s")), "one group: no gap to measure"
    assert parity_gap(adult_rows(), "income", "sex") == pytest.approx(0.196, abs=0.001)


def test_fair_rows_remove_the_bias_and_keep_the_groups_shares(backend):
    plain = backend.sample(20_000, seed=99)  # the generator's own shares, from rows other than the pilot
    fair = sample_fair(backend, ROWS, "income", "sex", seed=3)
    assert len(fair) == ROWS
    assert parity_gap(plain, "income", "sex") > 0.05, "the generator learned the real data's bias"
    assert parity_gap(fair, "income", "sex") < 0.01
    shares = fair["sex"].value_counts(normalize=True)
    assert (shares - plain["sex"].value_counts(normalize=True)).abs().max() < 0.03
    income = fair["income"].value_counts(normalize=True)
    assert (income - plain["income"].value_counts(normalize=True)).abs().max() < 0.03
    pd.testing.assert_frame_equal(fair, sample_fair(backend, ROWS, "income", "sex", seed=3))


def test_conditions_and_a_rebalanced_target_hold_with_fairness(backend):
    synthetic = SyntheticSpec(
        rows=1_001,
        conditions={"race": "White"},
        rebalance=RebalanceSpec(column="income", shares={">50K": 0.5}),
        fairness=FairnessSpec(target="income", sensitive="sex"),
    )
    rows = draw_rows(backend, synthetic, seed=5)
    assert len(rows) == 1_001 and (rows["race"] == "White").all()
    assert abs((rows["income"] == ">50K").sum() - 500.5) <= 1
    assert parity_gap(rows, "income", "sex") < 0.01


@pytest.mark.parametrize(
    ("keywords", "named"),
    [
        ({"conditions": {"sex": "Male"}}, "'sex' is conditioned on"),
        ({"shares": {"race": {"White": 0.5}}}, "not ['race']"),
        ({"shares": {"income": {">50K": 0.5}}, "conditions": {"income": ">50K"}}, "both rebalanced"),
    ],
)
def test_impossible_fairness_is_a_clear_error(backend, keywords, named):
    with pytest.raises(GeneratorError, match=named.replace("[", r"\[").replace("]", r"\]")):
        sample_fair(backend, 10, "income", "sex", **keywords)


def test_utility_reports_the_parity_gap_of_each_models_predictions(backend):
    fair = sample_fair(backend, ROWS, "income", "sex", seed=1)
    result = utility_scores(train(), holdout(), fair, adult_schema(), "income", sensitive="sex")
    real_gap, synthetic_gap = (
        result.extra[f"{side}_prediction_parity_gap"] for side in ("real", "synthetic")
    )
    assert real_gap > 0.1, "a model trained on the real rows predicts the real bias"
    assert synthetic_gap < real_gap
    assert (
        "real_prediction_parity_gap"
        not in utility_scores(train(), holdout(), fair, adult_schema(), "income").extra
    )


def _spec_with(tmp_path, **synthetic):
    content = yaml.safe_load(ADULT_SPEC.read_text())
    content["synthetic"].update(synthetic)
    path = tmp_path / "adult" / "spec.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content))
    return load_spec(path)


@pytest.mark.parametrize(
    ("synthetic", "named"),
    [
        (
            {"fairness": {"target": "age", "sensitive": "sex"}},
            "synthetic.fairness.target 'age' is a numerical",
        ),
        ({"fairness": {"target": "sex", "sensitive": "sex"}}, "synthetic.fairness.sensitive are both 'sex'"),
        ({"fairness": {"target": "salary", "sensitive": "sex"}}, "synthetic.fairness.target 'salary' is not"),
        ({"fairness": {"target": "income", "sensitive": "gender"}}, "synthetic.fairness.sensitive 'gender'"),
        (
            {"fairness": {"target": "income", "sensitive": "sex"}, "conditions": {"sex": "Female"}},
            "synthetic.fairness.sensitive 'sex' is also in synthetic.conditions",
        ),
        (
            {
                "fairness": {"target": "income", "sensitive": "sex"},
                "rebalance": {"column": "race", "shares": {"Black": 0.2}},
            },
            "synthetic.rebalance.column 'race' with synthetic.fairness",
        ),
        ({"fairness": {"target": "income"}}, "synthetic.fairness.sensitive"),
    ],
)
def test_bad_fairness_specs_name_the_key(tmp_path, synthetic, named):
    with pytest.raises(SpecError, match=named):
        _spec_with(tmp_path, **synthetic)


def test_a_fair_spec_loads(tmp_path):
    spec = _spec_with(tmp_path, fairness={"target": "income", "sensitive": "sex"})
    assert spec.synthetic.fairness == FairnessSpec(target="income", sensitive="sex")


def test_data_card_shows_the_gap_before_and_after_and_the_utility_cost(tmp_path):
    spec = _spec_with(tmp_path, fairness={"target": "income", "sensitive": "sex"})
    utility = GateOutcome(
        "utility",
        True,
        "…",
        {
            "synthetic_score": 0.871,
            "real_score": 0.925,
            "synthetic_prediction_parity_gap": 0.042,
            "real_prediction_parity_gap": 0.181,
        },
    )
    card = render_data_card(spec, {"raw": 10}, {}, [utility], "r.html", 0, ParityGaps(0.1957, 0.0003))
    assert "## Fairness on purpose" in card
    assert "| real training rows | 0.1957 |" in card and "| synthetic rows | 0.0003 |" in card
    assert "scores ROC AUC 0.871 against 0.925" in card and "0.042 against 0.181" in card
    plain = render_data_card(load_spec(ADULT_SPEC), {"raw": 10}, {}, [utility], "r.html", 0)
    assert "Fairness" not in plain
