"""Differentially private training: per-row gradients, clipping, the accountant, the budget, the
encoder's statistics, and one planted person the model must not give away."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from opacus.accountants import PRVAccountant, RDPAccountant

from accrete.generator.autoregressive.backend import AutoregressiveBackend
from accrete.generator.autoregressive.encoders import CategoricalEncoder, NumericalEncoder
from accrete.generator.autoregressive.network import AutoregressiveNet, seen_masks
from accrete.generator.autoregressive.private_training import (
    PrivateSteps,
    noise_multiplier,
    row_losses_and_gradient_norms,
    spent_epsilon,
)
from accrete.generator.base import GeneratorError
from accrete.generator.model_store import ModelStore
from accrete.generator.privacy_budget import PrivacyBudget, privacy_statement
from accrete.generator.train import train_generator
from accrete.report.data_card import render_data_card
from accrete.spec import DatasetSpec, load_spec
from accrete.table_schema import ModelColumn, TableSchema
from tests.conftest import ADULT_SPEC
from tests.unit.adult_sample import adult_rows
from tests.unit.test_validation_suite import with_missing_flags

CPU = torch.device("cpu")


def small_net() -> tuple[AutoregressiveNet, torch.Tensor, torch.Tensor]:
    """A network with an ordinary head, a masked token and a factorized head (1,500 tokens), with
    weights moved off their initial values, and twelve rows to train on."""
    torch.manual_seed(0)
    vocab = [5, 7, 1_500, 3]
    allowed = [torch.ones(size, dtype=torch.bool) for size in vocab]
    allowed[0][0] = False
    net = AutoregressiveNet(vocab, 8, allowed)
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
    rows = 12
    tokens = torch.stack([torch.randint(int(i == 0), size, (rows,)) for i, size in enumerate(vocab)], dim=1)
    seen = seen_masks(rows, len(vocab), 0.5, torch.Generator().manual_seed(1), CPU)
    return net, tokens, seen


def own_gradient(net: AutoregressiveNet, tokens: torch.Tensor, seen: torch.Tensor) -> list[torch.Tensor]:
    """One row's gradient by its own backward pass."""
    net.zero_grad()
    net(tokens[None], seen[None]).backward()
    return [parameter.grad.clone() for parameter in net.parameters()]


def test_each_rows_gradient_norm_is_that_of_its_own_backward_pass():
    net, tokens, seen = small_net()
    losses, norms = row_losses_and_gradient_norms(net, tokens, seen)
    for row in range(len(tokens)):
        gradient = own_gradient(net, tokens[row], seen[row])
        assert float(norms[row]) == pytest.approx(
            float(torch.sqrt(sum(part.square().sum() for part in gradient))), rel=1e-4
        )
        assert float(losses[row]) == pytest.approx(float(net(tokens[row][None], seen[row][None])), rel=1e-5)


def test_a_step_without_noise_moves_by_the_mean_of_the_clipped_row_gradients():
    net, tokens, _ = small_net()
    prefix = seen_masks(len(tokens), tokens.shape[1], 0.0, torch.Generator(), CPU)
    clip = 0.5
    budget = PrivacyBudget(epsilon=1.0, delta=1e-3, max_grad_norm=clip, batch_size=len(tokens))
    steps = PrivateSteps(net, budget, 1.0, len(tokens), 0.0, CPU)  # every row, no conditioned columns
    steps.noise_multiplier = 0.0
    clipped = [torch.zeros_like(parameter) for parameter in net.parameters()]
    norms = []
    for row in range(len(tokens)):
        gradient = own_gradient(net, tokens[row], prefix[row])
        norms.append(float(torch.sqrt(sum(part.square().sum() for part in gradient))))
        clipped = [
            total + part * min(1.0, clip / norms[-1]) for total, part in zip(clipped, gradient, strict=True)
        ]
    assert max(norms) > clip  # clipping is exercised
    before = [parameter.detach().clone() for parameter in net.parameters()]
    steps.step(tokens, torch.Generator(), torch.optim.SGD(net.parameters(), lr=1.0))
    for old, new, total in zip(before, net.parameters(), clipped, strict=True):
        torch.testing.assert_close(old - new.detach(), total / len(tokens), rtol=1e-4, atol=1e-6)


def test_the_accountant_is_opacus_rdp_and_no_looser_than_its_defaults():
    noise, rate, steps, delta = 1.1, 0.01, 2_000, 1e-5
    reference = RDPAccountant()
    for _ in range(steps):
        reference.step(noise_multiplier=noise, sample_rate=rate)
    ours = spent_epsilon(noise, rate, steps, delta)
    assert ours <= reference.get_epsilon(delta) + 1e-9  # more Renyi orders: never looser
    assert ours == pytest.approx(reference.get_epsilon(delta), rel=0.02)
    # a tighter accountant (PRV) bounds the same mechanism below ours, not far below
    prv = PRVAccountant()
    prv.history = [(noise, rate, steps)]
    assert 0.8 * ours <= prv.get_epsilon(delta) <= ours


@pytest.mark.parametrize("epsilon", [0.5, 1.0, 8.0])
def test_the_calibrated_noise_spends_the_budget_and_no_more(epsilon):
    rate, steps, delta = 0.05, 400, 1e-5
    noise = noise_multiplier(epsilon, delta, rate, steps)
    spent = spent_epsilon(noise, rate, steps, delta)
    assert 0.95 * epsilon <= spent <= epsilon


def categorical_table(rows: int, seed: int) -> tuple[pd.DataFrame, TableSchema]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "plan": rng.choice(["basic", "plus", "pro"], rows, p=[0.6, 0.3, 0.1]),
            "region": rng.choice(["north", "south"], rows),
            "amount": np.round(rng.gamma(2.0, 300.0, rows)).clip(0, 20_000),
            "seats": rng.integers(1, 9, rows),
        }
    )
    schema = TableSchema(
        (
            ModelColumn("plan", "categorical", categories=("basic", "plus", "pro", "enterprise")),
            ModelColumn("region", "categorical", categories=("north", "south")),
            ModelColumn("amount", "numerical", integer=True, minimum=0, maximum=20_000),
            ModelColumn("seats", "numerical", integer=True, minimum=1, maximum=8),
        )
    )
    return frame, schema


PRIVATE_QUICK = {"epochs": 3, "batch_size": 256}


@pytest.mark.parametrize("epsilon", [0.5, 3.0])
def test_a_private_fit_spends_at_most_its_budget_and_says_how(epsilon, tmp_path):
    frame, schema = categorical_table(2_000, 0)
    backend = AutoregressiveBackend(schema, {"privacy": {"epsilon": epsilon, **PRIVATE_QUICK}}, seed=0)
    report = backend.fit(frame)
    spent = report.extra["privacy"]
    assert report.extra["stopped_by"] == "privacy_budget"
    assert spent["epsilon_spent"] <= epsilon
    assert spent["epsilon_spent"] >= 0.95 * epsilon  # the planned steps use what they may
    assert spent["statistics_epsilon_spent"] == pytest.approx(0.1 * epsilon)  # amount's histogram
    assert spent["steps"] == spent["planned_steps"] == round(3 / (256 / 2_000))
    assert spent["noise_multiplier"] > 0 and spent["accountant"].startswith("rdp (opacus")
    assert report.extra["val_losses"] == [None] * report.epochs  # nothing held out
    assert report.rows == len(frame)
    statement = privacy_statement(spent)
    assert f"({epsilon:g}, 1e-05)-differential privacy" in statement
    backend.save(tmp_path)
    assert AutoregressiveBackend.load(tmp_path, schema).privacy == spent
    assert set(backend.sample(500, seed=1)["plan"]) <= {"basic", "plus", "pro", "enterprise"}


def test_a_fit_cut_short_by_its_time_budget_spends_less():
    frame, schema = categorical_table(2_000, 0)
    settings = {"max_seconds": 1e-9, "privacy": {"epsilon": 1.0, **PRIVATE_QUICK}}
    report = AutoregressiveBackend(schema, settings, seed=0).fit(frame)
    spent = report.extra["privacy"]
    assert report.extra["stopped_by"] == "max_seconds"
    assert spent["steps"] < spent["planned_steps"]
    assert spent["training_epsilon_spent"] < 0.9 * 0.5


def test_the_encoder_reads_the_schema_not_the_data():
    frame, schema = categorical_table(2_000, 0)
    other, _ = categorical_table(50, 1)
    rng = np.random.default_rng(0)
    plan = CategoricalEncoder(schema.column("plan"), 5)
    assert plan.fit_private(frame["plan"], 0.0, rng).categories == ["basic", "plus", "pro", "enterprise"]
    seats = [
        NumericalEncoder(schema.column("seats"), 32).fit_private(data["seats"], 0.0, rng)
        for data in (frame, other)
    ]
    assert seats[0].state() == seats[1].state()
    assert seats[0].masses.tolist() == list(range(1, 9))  # every declared integer, frequent or not
    with pytest.raises(GeneratorError, match="'plan' holds values its declared categories lack"):
        plan.fit_private(pd.Series(["basic", "gold"]), 0.0, rng)


def test_a_wide_numerical_column_is_binned_from_a_noisy_histogram():
    frame, schema = categorical_table(20_000, 0)
    amount = schema.column("amount")
    fits = [
        NumericalEncoder(amount, 16).fit_private(frame["amount"], 1.0, np.random.default_rng(s))
        for s in (0, 1)
    ]
    assert not np.array_equal(fits[0].edges, fits[1].edges)  # the noise is in the layout
    real = np.quantile(frame["amount"], np.arange(1, len(fits[0].edges) + 1) / (len(fits[0].edges) + 1))
    assert np.abs(fits[0].edges - real).max() < 0.05 * frame["amount"].max()
    assert fits[0].observed_min == 0 and fits[0].observed_max == 20_000  # the declared bounds


def test_a_private_fit_refuses_what_it_would_have_to_read_from_the_data():
    frame, schema = categorical_table(500, 0)
    unbounded = TableSchema(
        (
            ModelColumn("amount", "numerical"),
            ModelColumn("plan", "categorical"),
            ModelColumn("at", "datetime"),
        )
    )
    with pytest.raises(GeneratorError) as refused:
        AutoregressiveBackend(unbounded, {"privacy": {"epsilon": 1.0}}).fit(
            frame.assign(at=pd.Timestamp("2024-01-01"))
        )
    message = str(refused.value)
    assert "'amount' needs both min and max" in message
    assert "'plan' needs its categories listed" in message
    assert "'at' cannot be laid out privately" in message
    with pytest.raises(GeneratorError, match=r"columns \['amount'\] have missing values"):
        AutoregressiveBackend(schema, {"privacy": {"epsilon": 1.0}}).fit(frame.assign(amount=np.nan))
    with pytest.raises(GeneratorError, match="privacy.delta 0.01 is not below 1 / rows"):
        AutoregressiveBackend(schema, {"privacy": {"epsilon": 1.0, "delta": 0.01}}).fit(frame)


@pytest.mark.parametrize(
    ("privacy", "message"),
    [
        ({"delta": 1e-5}, "at least epsilon"),
        ({"epsilon": 0}, "privacy.epsilon must be a positive number"),
        ({"epsilon": 1, "delta": 1.5}, "privacy.delta must be a number between 0 and 1"),
        ({"epsilon": 1, "epochs": 2.5}, "privacy.epochs must be an integer"),
        ({"epsilon": 1, "noise": 2}, "unknown key"),
        ({"epsilon": "one"}, "privacy.epsilon must be a number"),
    ],
)
def test_a_bad_budget_is_refused_naming_the_key(privacy, message):
    with pytest.raises(GeneratorError, match=message):
        PrivacyBudget.from_setting(privacy)


def test_privacy_trains_in_one_process():
    _, schema = categorical_table(10, 0)
    with pytest.raises(GeneratorError, match="privacy trains in one process"):
        AutoregressiveBackend(schema, {"privacy": {"epsilon": 1.0}, "distributed_processes": 2})


def planted_table(with_outlier: bool, seed: int) -> tuple[pd.DataFrame, TableSchema]:
    """399 ordinary rows (``status`` always 'active') and, planted, one person with a combination
    nobody else has: the only 'frozen' status, in the rarest cell of plan and region."""
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame(
        {
            "plan": rng.choice(["basic", "plus", "pro"], 399, p=[0.5, 0.4, 0.1]),
            "region": rng.choice(["north", "south", "east"], 399, p=[0.5, 0.4, 0.1]),
            "status": "active",
        }
    )
    if with_outlier:
        rows = pd.concat(
            [rows, pd.DataFrame({"plan": ["pro"], "region": ["east"], "status": ["frozen"]})],
            ignore_index=True,
        )
    schema = TableSchema(
        (
            ModelColumn("plan", "categorical", categories=("basic", "plus", "pro")),
            ModelColumn("region", "categorical", categories=("north", "south", "east")),
            ModelColumn("status", "categorical", categories=("active", "frozen")),
        )
    )
    return rows, schema


def outlier_rate(with_outlier: bool, privacy: dict | None, seeds: range) -> float:
    """Share of sampled rows with the planted person's status, over models of ``seeds``."""
    found = 0
    samples = 2_000
    for seed in seeds:
        rows, schema = planted_table(with_outlier, seed)
        # nothing pooled, nothing held out (the one row could otherwise fall in the validation rows)
        settings = {"rare_category_min_count": 1, "validation_fraction": 0.001, "epochs": 150}
        settings |= {"patience": 150, "max_seconds": None}
        if privacy is not None:
            settings["privacy"] = privacy
        backend = AutoregressiveBackend(schema, settings, seed=seed)
        backend.fit(rows)
        sample = backend.sample(samples, seed=seed)
        found += int((sample["status"] == "frozen").sum())
    return found / (samples * len(seeds))


def test_one_planted_person_is_given_away_without_privacy_and_not_with_epsilon_1():
    seeds = range(6)
    private = {"epsilon": 1.0, "delta": 1e-3, "epochs": 20, "batch_size": 100}
    without_dp = outlier_rate(True, None, seeds), outlier_rate(False, None, seeds)
    with_dp = outlier_rate(True, private, seeds), outlier_rate(False, private, seeds)
    # without DP the model reproduces the one person's status (1 in 400 rows); without that row, never
    assert without_dp[0] > 0.001 and without_dp[1] == 0
    # with epsilon 1, the row changes the rate by at most e^epsilon (plus sampling noise)
    assert with_dp[0] <= np.e * with_dp[1] + 0.002


def private_adult_spec(**privacy) -> DatasetSpec:
    """Adult's spec made private: fnlwgt gets the upper bound a private layout needs, and the one
    rule (a dependency read from the real rows) goes."""
    spec = load_spec(ADULT_SPEC).model_dump(mode="json")
    spec["columns"]["fnlwgt"]["max"] = 1_500_000
    spec["rules"] = []
    spec["generator"]["privacy"] = {"epsilon": 1.0, "epochs": 2, **privacy}
    return DatasetSpec.model_validate(spec)


def test_a_private_generator_is_versioned_stored_and_carded_as_private(tmp_path):
    spec = private_adult_spec()
    rows = with_missing_flags(adult_rows(3_000), spec)
    batches = pd.DataFrame({"_batch": ["adult-1"], "_file_sha256": ["0" * 64], "rows": [len(rows)]})
    store = ModelStore(tmp_path)
    stored, report = train_generator(spec, rows, batches, store)
    assert "-dp1-" in stored.version  # every synthetic row's _generator_version says so
    spent = stored.manifest["privacy"]
    assert spent == report.extra["privacy"] and spent["epsilon_spent"] <= 1.0
    assert stored.manifest["settings"]["privacy"]["epsilon"] == 1.0
    card = render_data_card(
        spec, {"raw": len(rows)}, {**stored.manifest, "version": stored.version}, [], "r.html", 0
    )
    assert "trained with (1, 1e-05)-differential privacy: epsilon spent" in card
    assert store.load(stored, spec.training_schema).privacy == spent
