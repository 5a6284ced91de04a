"""Rows that could exist: sampling keeps the spec's rules exactly, and the rules gate catches rows that do not.

Trained on the bundled flights' first week (what `make run` trains on) and on real Adult rows (tiny settings, CPU).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
import torch

from accrete.generator.autoregressive.network import AutoregressiveNet
from accrete.generator.autoregressive.sampler import TokenCombinations, sample_tokens
from accrete.generator.base import GeneratorError
from accrete.generator.model_store import ModelStore
from accrete.generator.registry import backend_class
from accrete.rules.reference_tables import rule_reference_values
from accrete.rules.rule_bound import RuleBoundGenerator, rule_bound_generator
from accrete.rules.rule_spec import (
    CombinationRule,
    DependencyRule,
    FormulaRule,
    InequalityRule,
    OneHotRule,
    ReferenceRule,
    UniqueRule,
)
from accrete.rules.violations import rule_violations
from accrete.spec import RebalanceSpec, SyntheticSpec, load_spec
from accrete.synthetic.sample import draw_rows_keeping_rules
from accrete.table_schema import ModelColumn, TableSchema
from accrete.validation.rules_gate import rules_gate
from bench.validation import spec_columns
from tests.conftest import REPO
from tests.unit.adult_sample import adult_rows, adult_schema

TINY = {"epochs": 4, "max_seconds": 30, "batch_size": 256, "learning_rate": 0.01}


@pytest.fixture(scope="module")
def flights_spec():
    return load_spec(REPO / "datasets" / "flights" / "spec.yaml")


@pytest.fixture(scope="module")
def flights_references(flights_spec) -> dict[str, set[str]]:
    return rule_reference_values(flights_spec.rules, REPO / "datasets" / "flights")


@pytest.fixture(scope="module")
def flights(flights_spec) -> pd.DataFrame:
    """The first week of the bundled flights, as the clean table holds them."""
    path = REPO / "datasets" / "flights" / "flights.parquet"
    rows = duckdb.sql(f"select * from read_parquet('{path}') where month = 1 and day <= 7").df()
    rows = spec_columns(rows, flights_spec, rows)
    categorical = [
        column.name for column in flights_spec.training_schema.columns if column.kind == "categorical"
    ]
    return rows.astype({name: "string" for name in categorical})


@pytest.fixture(scope="module")
def flights_generator(flights_spec, flights) -> RuleBoundGenerator:
    generator = rule_bound_generator(
        "autoregressive", flights_spec.training_schema, flights_spec.sampling_rules, TINY, seed=0
    )
    generator.fit(flights)
    return generator


def test_the_bundled_flights_rules_hold_in_the_real_rows(flights_spec, flights, flights_references):
    found = rule_violations(flights, flights_spec.sampling_rules, flights, flights_references)
    assert set(found) == {
        "route_distance",
        "carrier_serves_destination",
        "scheduled_departure_clock",
        "origin_is_an_airport",
        "carrier_is_an_airline",
        "record_key",
    }
    assert all(len(positions) == 0 for positions in found.values())


def test_without_rules_the_model_makes_rows_that_could_not_exist(flights_spec, flights, flights_references):
    plain = backend_class("autoregressive")(flights_spec.training_schema, TINY, seed=0)
    plain.fit(flights)
    rows = plain.sample(3_000, seed=1)
    outcome = rules_gate(flights_spec.sampling_rules, flights, rows, flights_references)
    assert not outcome.passed
    assert outcome.metrics["scheduled_departure_clock_violations"] > 1_000
    assert outcome.metrics["route_distance_violations"] > 1_000
    assert (
        "scheduled_departure_clock" in outcome.details_md
        and "| hour | minute | sched_dep_time |" in outcome.details_md
    )


def test_sampled_flights_keep_every_rule_exactly(
    flights_spec, flights, flights_generator, flights_references
):
    assert flights_generator.unmasked == []  # the routes are masked as tokens, not redrawn
    # a flight number seen fewer than 5 times is pooled under one label, so a unique key needs
    # enough days that most flight numbers are seen more often (the first week, as `make run`)
    rows, redrawn = draw_rows_keeping_rules(flights_generator, SyntheticSpec(rows=3_000), seed=1)
    assert len(rows) == 3_000
    outcome = rules_gate(flights_spec.sampling_rules, flights, rows, flights_references)
    assert outcome.passed, outcome.details_md
    assert redrawn["route_distance"] == redrawn["carrier_serves_destination"] == 0
    assert redrawn["scheduled_departure_clock"] == 0
    assert redrawn["record_key"] > 0  # unique keys are kept by redrawing the repeated ones
    assert not rows[flights_spec.record_key].duplicated().any()
    # the computed and completed columns still vary as the real ones do
    assert rows["distance"].nunique() > 20 and rows["sched_dep_time"].nunique() > 100


def test_conditions_and_rules_hold_together(flights_generator, flights):
    rows = flights_generator.sample(2_000, conditions={"origin": "JFK", "carrier": "B6"}, seed=2)
    assert (rows["origin"] == "JFK").all() and (rows["carrier"] == "B6").all()
    real_routes = set(map(tuple, flights[["origin", "dest", "distance"]].to_numpy().tolist()))
    assert set(map(tuple, rows[["origin", "dest", "distance"]].to_numpy().tolist())) <= real_routes


def test_conditions_no_combination_allows_are_refused(flights_generator, flights):
    routes = flights.groupby("dest")["origin"].unique()
    only_from_jfk = next(dest for dest, origins in routes.items() if list(origins) == ["JFK"])
    with pytest.raises(GeneratorError, match="route_distance"):
        flights_generator.sample(10, conditions={"origin": "EWR", "dest": only_from_jfk}, seed=0)


def test_a_computed_column_cannot_be_conditioned_on(flights_generator):
    with pytest.raises(GeneratorError, match=r"sched_dep_time.*scheduled_departure_clock.*hour"):
        flights_generator.sample(10, conditions={"sched_dep_time": 600}, seed=0)


def test_a_stored_rule_bound_model_samples_the_same_rows(flights_spec, flights_generator, tmp_path):
    store = ModelStore(tmp_path)
    stored = store.save("flights", "v1", flights_generator, {})
    loaded = store.load(stored, flights_spec.training_schema)
    assert isinstance(loaded, RuleBoundGenerator) and loaded.unmasked == []
    pd.testing.assert_frame_equal(loaded.sample(500, seed=3), flights_generator.sample(500, seed=3))


def test_rebalanced_adult_keeps_its_dependency_and_its_shares():
    schema = adult_schema()
    rule = DependencyRule(
        name="education_num_by_education",
        kind="dependency",
        columns=["education_num"],
        determined_by=["education"],
    )
    train = adult_rows(3_000)
    generator = rule_bound_generator("autoregressive", schema, [rule], TINY, seed=0)
    generator.fit(train)
    synthetic = SyntheticSpec(rows=2_000, rebalance=RebalanceSpec(column="income", shares={">50K": 0.5}))
    rows, redrawn = draw_rows_keeping_rules(generator, synthetic, seed=4)
    assert (rows["income"] == ">50K").sum() == 1_000
    assert rules_gate([rule], train, rows).passed and redrawn == {"education_num_by_education": 0}
    real_pairs = set(map(tuple, train[["education", "education_num"]].to_numpy().tolist()))
    assert set(map(tuple, rows[["education", "education_num"]].to_numpy().tolist())) <= real_pairs


def test_a_backend_without_masks_keeps_rules_by_redrawing():
    """GaussianCopula cannot mask: one-hot patterns it breaks are drawn again, until none is."""
    rng = np.random.default_rng(0)
    level = rng.choice(3, size=1_500, p=[0.5, 0.3, 0.2])
    train = pd.DataFrame({f"level_{index}": level == index for index in range(3)})
    train["amount"] = rng.gamma(2.0, 100.0, size=len(train)).round(2) + level * 50
    schema = TableSchema(
        tuple(ModelColumn(f"level_{index}", "boolean") for index in range(3))
        + (ModelColumn("amount", "numerical"),)
    )
    rule = OneHotRule(name="one_level", kind="one_hot", columns=[f"level_{index}" for index in range(3)])
    generator = rule_bound_generator("gaussian_copula", schema, [rule], {}, seed=0)
    generator.fit(train)
    assert generator.unmasked == ["one_level"]
    first = generator.sample(1_000, seed=5)
    assert len(rule_violations(first, [rule], train)["one_level"]) > 0  # the copula alone breaks it
    rows, redrawn = draw_rows_keeping_rules(generator, SyntheticSpec(rows=1_000), seed=5)
    assert redrawn["one_level"] > 0 and rules_gate([rule], train, rows).passed


def test_the_rules_gate_fails_each_kind_of_broken_row(flights):
    real = flights.head(200).reset_index(drop=True)
    broken = real.head(6).copy()
    broken.loc[0, "distance"] = 1_401  # EWR-IAH at a distance it never has (1,400)
    broken.loc[1, "sched_dep_time"] = 1  # not hour * 100 + minute
    broken.loc[2, "air_time"] = broken.loc[2, "distance"] * 10  # breaks the planted inequality
    broken.loc[3, "carrier"] = "ZZ"  # not in the reference table
    broken.loc[5] = broken.loc[4]  # a repeated key
    rules = [
        CombinationRule(name="route_distance", kind="combination", columns=["origin", "dest", "distance"]),
        FormulaRule(name="clock", kind="formula", column="sched_dep_time", equals="hour * 100 + minute"),
        InequalityRule(
            name="faster_than_walking", kind="inequality", left="air_time", operator="<", right="distance"
        ),
        ReferenceRule(
            name="airline_exists", kind="reference", column="carrier", table="airlines", key="carrier"
        ),
        UniqueRule(
            name="key", kind="unique", columns=["year", "month", "day", "carrier", "flight", "origin"]
        ),
    ]
    airlines = {"airline_exists": set(real["carrier"])}
    outcome = rules_gate(rules, real, broken, airlines)
    assert not outcome.passed
    assert {name: int(outcome.metrics[f"{name}_violations"]) for name in [rule.name for rule in rules]} == {
        "route_distance": 1,
        "clock": 1,
        "faster_than_walking": 1,
        "airline_exists": 1,
        "key": 1,
    }
    assert "| ZZ |" in outcome.details_md
    assert rules_gate(rules, real, real.head(6).drop_duplicates(rules[-1].columns), airlines).passed


def test_missing_values_are_not_judged(flights):
    rule = FormulaRule(name="clock", kind="formula", column="sched_dep_time", equals="hour * 100 + minute")
    rows = flights.head(3).copy().astype({"hour": "Float64"})
    rows.loc[0, "hour"] = pd.NA
    assert rules_gate([rule], flights, rows).passed


def _tiny_net(sizes: list[int]) -> AutoregressiveNet:
    torch.manual_seed(0)
    net = AutoregressiveNet(sizes, 8, [torch.ones(size, dtype=torch.bool) for size in sizes])
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.normal_()
    return net


def _masked_chain_probabilities(
    net: AutoregressiveNet, allowed: torch.Tensor
) -> dict[tuple[int, ...], float]:
    """Each allowed combination's probability when every column is drawn, in order, among the tokens
    that still complete an allowed combination (what masked sampling promises)."""
    probabilities = {}
    with torch.no_grad():

        def extend(prefix: tuple[int, ...], state: torch.Tensor, probability: float) -> None:
            column = len(prefix)
            if column == len(net.vocab_sizes):
                probabilities[prefix] = probability
                return
            alive = allowed[(allowed[:, :column] == torch.tensor(prefix, dtype=torch.int64)).all(dim=1)]
            possible = torch.zeros(net.vocab_sizes[column], dtype=torch.bool)
            possible[alive[:, column]] = True
            logits = net._column_logits(state[None], column)[0].masked_fill(~possible, float("-inf"))
            for token, p in enumerate(torch.softmax(logits, dim=0).tolist()):
                if possible[token]:
                    delta = (
                        net.token_embedding.weight[net.column_starts[column] + token]
                        - net.absent_embedding[column]
                    )
                    extend((*prefix, token), state + delta, probability * p)

        extend((), net.absent_embedding.sum(0), 1.0)
    return probabilities


def test_masked_sampling_draws_only_allowed_combinations_with_their_probabilities():
    sizes = [5, 4, 6]
    net = _tiny_net(sizes)
    every = torch.cartesian_prod(*[torch.arange(size) for size in sizes])
    allowed = every[torch.randperm(len(every), generator=torch.Generator().manual_seed(1))[:23]]
    combinations = {"rule": TokenCombinations((0, 1, 2), allowed)}
    rows = 100_000
    tokens = sample_tokens(net, rows, {}, torch.Generator().manual_seed(2), combinations=combinations).t()
    expected = _masked_chain_probabilities(net, allowed)
    drawn = pd.Series(list(map(tuple, tokens.tolist()))).value_counts(normalize=True).to_dict()
    assert set(drawn) <= set(expected)
    distance = sum(abs(drawn.get(combination, 0.0) - p) for combination, p in expected.items()) / 2
    assert distance < 0.01


def _overlapping_table(rows: int = 2_000) -> pd.DataFrame:
    """Labels a, b, c and an amount: c goes with a and with b, and some (a, b) pairs share no c."""
    rng = np.random.default_rng(0)
    allowed_c = {"a1": ["c1", "c2"], "a2": ["c3"], "a3": ["c1", "c3"]}
    b_of_c = {"c1": ["b1"], "c2": ["b2"], "c3": ["b2", "b3"]}
    a = rng.choice(list(allowed_c), size=rows)
    c = np.array([rng.choice(allowed_c[value]) for value in a])
    b = np.array([rng.choice(b_of_c[value]) for value in c])
    amount = rng.gamma(2.0, 50.0, size=rows).round(2)
    return pd.DataFrame({"a": a, "b": b, "c": c, "amount": amount}).astype(
        {"a": "string", "b": "string", "c": "string"}
    )


OVERLAPPING_SCHEMA = TableSchema(
    (
        ModelColumn("a", "categorical"),
        ModelColumn("b", "categorical"),
        ModelColumn("c", "categorical"),
        ModelColumn("amount", "numerical"),
    )
)
OVERLAPPING_RULES = [
    CombinationRule(name="a_with_c", kind="combination", columns=["a", "c"]),
    CombinationRule(name="b_with_c", kind="combination", columns=["b", "c"]),
]


@pytest.mark.parametrize("backend", ["autoregressive", "gaussian_copula"])
def test_rules_that_share_a_column_still_hold_in_every_row(backend):
    """Masks of two rules sharing c can leave a row no c (a2 with b1): such rows are drawn again."""
    train = _overlapping_table()
    settings = TINY if backend == "autoregressive" else {}
    generator = rule_bound_generator(backend, OVERLAPPING_SCHEMA, OVERLAPPING_RULES, settings, seed=0)
    generator.fit(train)
    rows, redrawn = draw_rows_keeping_rules(generator, SyntheticSpec(rows=2_000), seed=6)
    assert len(rows) == 2_000 and rules_gate(OVERLAPPING_RULES, train, rows).passed
    assert rows[["a", "b", "c"]].notna().all().all()


def test_conditions_two_rules_together_forbid_fail_naming_them():
    train = _overlapping_table()
    generator = rule_bound_generator("autoregressive", OVERLAPPING_SCHEMA, OVERLAPPING_RULES, TINY, seed=0)
    generator.fit(train)
    with pytest.raises(GeneratorError, match=r"a_with_c|b_with_c"):
        draw_rows_keeping_rules(generator, SyntheticSpec(rows=50, conditions={"a": "a2", "b": "b1"}), seed=7)


def test_a_stored_model_keeps_codes_numbers_and_datetimes_as_they_were(tmp_path):
    """Codes such as '01' stay text and datetimes stay datetimes through the model store."""
    rng = np.random.default_rng(1)
    code = rng.choice(["01", "02", "10"], size=1_500)
    kind = np.where(code == "10", "bulk", rng.choice(["retail", "online"], size=1_500))
    opened = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        np.where(kind == "bulk", 0, rng.integers(1, 4, 1_500)), "D"
    )
    train = pd.DataFrame(
        {
            "code": code,
            "kind": kind,
            "opened": opened.astype("datetime64[us]"),
            "units": rng.integers(1, 9, 1_500),
        }
    ).astype({"code": "string", "kind": "string"})
    schema = TableSchema(
        (
            ModelColumn("code", "categorical"),
            ModelColumn("kind", "categorical"),
            ModelColumn("opened", "datetime"),
            ModelColumn("units", "numerical", integer=True),
        )
    )
    rules = [
        CombinationRule(name="code_kind", kind="combination", columns=["code", "kind"]),
        CombinationRule(name="kind_opened", kind="combination", columns=["kind", "opened"]),
        ReferenceRule(name="known_code", kind="reference", column="code", table="codes", key="code"),
    ]
    generator = rule_bound_generator("autoregressive", schema, rules, TINY, seed=0)
    generator.fit(train)
    store = ModelStore(tmp_path)
    loaded = store.load(store.save("shop", "v1", generator, {}), schema)
    assert loaded.unmasked == []  # the codes still decode exactly: masked, not redrawn
    rows, redrawn = draw_rows_keeping_rules(loaded, SyntheticSpec(rows=1_000), seed=8)
    assert set(rows["code"]) <= {"01", "02", "10"} and sum(redrawn.values()) == 0
    assert set(pd.to_datetime(rows["opened"])) <= set(train["opened"])
    assert rules_gate(rules, train, rows, {"known_code": {"01", "02", "10"}}).passed
