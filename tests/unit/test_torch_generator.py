"""The autoregressive torch generator on a few thousand real Adult rows (CPU, seconds)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from torch.nn import functional

from accrete.generator.autoregressive.backend import MODEL_FILE, AutoregressiveBackend
from accrete.generator.autoregressive.network import AutoregressiveNet, FactorizedHead, seen_masks
from accrete.generator.autoregressive.sampler import sample_tokens
from accrete.generator.autoregressive.settings import SETTINGS
from accrete.generator.base import GeneratorError
from accrete.generator.registry import backend_class
from tests.unit.adult_sample import adult_rows, adult_schema

FAST = {
    "epochs": 10,
    "hidden": 32,
    "batch_size": 256,
    "learning_rate": 0.01,
    "max_seconds": None,
    "patience": 10,
}


@pytest.fixture(scope="module")
def adult():
    return adult_rows(3_000)


@pytest.fixture(scope="module")
def fitted(adult):
    generator = backend_class("autoregressive")(adult_schema(), FAST, seed=7)
    events = []
    report = generator.fit(adult, progress=events.append)
    return generator, report, events


def test_fit_reports_progress_and_samples_the_schema(fitted, adult):
    generator, report, events = fitted
    assert [event["epoch"] for event in events] == list(range(1, 11))
    assert {"loss", "val_loss", "rows_per_second", "device"} <= set(events[0])
    assert report.epochs == 10 and report.losses[-1] < report.losses[0]
    rows = generator.sample(5_000)
    assert list(rows.columns) == adult_schema().names and len(rows) == 5_000
    assert rows["age"].dtype == np.int64
    assert rows["age"].between(adult["age"].min(), adult["age"].max()).all()
    assert set(rows["income"]) == {"<=50K", ">50K"}
    real_share = (adult["income"] == ">50K").mean()
    assert abs((rows["income"] == ">50K").mean() - real_share) < 0.05
    assert abs(rows["workclass"].isna().mean() - adult["workclass"].isna().mean()) < 0.03


def test_label_columns_are_modelled_first_most_tokens_first(fitted):
    generator, _, _ = fitted
    names = [encoder.column.name for encoder in generator.encoders]
    labels = [encoder for encoder in generator.encoders if encoder.kind == "categorical"]
    assert generator.encoders[: len(labels)] == labels
    assert [encoder.vocab_size for encoder in labels] == sorted(
        (encoder.vocab_size for encoder in labels), reverse=True
    )
    numbers = names[len(labels) :]
    assert numbers == [name for name in adult_schema().names if name in numbers]


def test_a_saved_model_keeps_the_column_order_it_was_trained_with(adult, tmp_path):
    generator = AutoregressiveBackend(adult_schema(), {**FAST, "epochs": 2, "column_order": "schema"})
    generator.fit(adult)
    assert [encoder.column.name for encoder in generator.encoders] == adult_schema().names
    generator.save(tmp_path)
    loaded = AutoregressiveBackend.load(tmp_path, adult_schema())
    assert [encoder.column.name for encoder in loaded.encoders] == adult_schema().names
    assert loaded.sample(300, seed=2).equals(generator.sample(300, seed=2))


def test_same_seed_same_rows_and_seed_changes_them(fitted):
    generator, _, _ = fitted
    assert generator.sample(1_000, seed=3).equals(generator.sample(1_000, seed=3))
    assert not generator.sample(1_000, seed=3).equals(generator.sample(1_000, seed=4))


def test_rare_categories_are_never_emitted(fitted, adult):
    generator, _, _ = fitted
    counts = adult["native_country"].value_counts()
    rare = set(counts[counts < 5].index)
    assert rare, "the sample should contain rare countries"
    emitted = set(generator.sample(30_000)["native_country"].dropna())
    assert not emitted & rare


def test_conditional_sampling_honours_its_conditions(fitted):
    generator, _, _ = fitted
    conditions = {"income": ">50K", "race": "Black", "age": 37}
    rows = generator.sample(2_000, conditions=conditions)
    assert (rows["income"] == ">50K").all() and (rows["race"] == "Black").all() and (rows["age"] == 37).all()
    unconditioned = generator.sample(2_000)
    married_rich = (rows["marital_status"] == "Married-civ-spouse").mean()
    assert married_rich > (unconditioned["marital_status"] == "Married-civ-spouse").mean()


@pytest.mark.parametrize(
    "conditions, message",
    [
        ({"race": "Martian"}, "never emits"),
        ({"age": 400}, "outside the trained range"),
        ({"not_a_column": 1}, "not in the schema"),
        ({"income": None}, "missing value never occurs"),
    ],
)
def test_impossible_conditions_are_errors(fitted, conditions, message):
    generator, _, _ = fitted
    with pytest.raises(GeneratorError, match=message):
        generator.sample(10, conditions=conditions)


def test_save_load_round_trip_gives_the_same_rows(fitted, tmp_path):
    generator, _, _ = fitted
    written = generator.save(tmp_path)
    assert {path.name for path in written} == {MODEL_FILE, "generator.json"}
    loaded = AutoregressiveBackend.load(tmp_path, adult_schema())
    assert loaded.sample(2_000, seed=5).equals(generator.sample(2_000, seed=5))


def test_a_saved_model_loads_after_a_default_changes(adult, tmp_path, monkeypatch):
    settings = {**{k: v for k, v in FAST.items() if k != "hidden"}, "epochs": 1}
    generator = AutoregressiveBackend(adult_schema(), settings)
    generator.fit(adult.head(500))
    generator.save(tmp_path)
    monkeypatch.setitem(SETTINGS, "hidden", (2 * SETTINGS["hidden"][0], *SETTINGS["hidden"][1:]))
    loaded = AutoregressiveBackend.load(tmp_path, adult_schema())
    assert loaded.sample(200, seed=1).equals(generator.sample(200, seed=1))


def _random_net(sizes: tuple[int, int], masks: list[torch.Tensor]) -> AutoregressiveNet:
    torch.manual_seed(0)
    net = AutoregressiveNet(list(sizes), 16, masks)
    with torch.no_grad():
        for head in net.heads:
            for parameter in head.parameters():
                parameter.normal_()
    return net


def _masks(sizes: tuple[int, int]) -> list[torch.Tensor]:
    """Masked tokens first, inside and last; the second column's first 60 (a whole block when factorized)."""
    masks = [torch.ones(size, dtype=torch.bool) for size in sizes]
    masks[0][[0, sizes[0] // 2, sizes[0] - 1]] = False
    masks[1][:60] = False
    masks[1][-1] = False
    return masks


@pytest.mark.parametrize(
    "sizes", [(300, 130), (3_000, 1_500)], ids=["blocked running sums", "factorized heads"]
)
def test_sampling_draws_each_token_with_its_probability(sizes):
    masks = _masks(sizes)
    net = _random_net(sizes, masks)
    assert isinstance(net.heads[0], FactorizedHead) == (sizes[0] > 1_024)
    rows = 200_000
    tokens = sample_tokens(net, rows, {}, torch.Generator().manual_seed(0)).t()
    with torch.no_grad():
        first_state = net.absent_embedding.sum(0)
        first = torch.softmax(net._column_logits(first_state[None], 0), dim=1)[0]
        states = first_state + net.token_embedding.weight[tokens[:, 0]] - net.absent_embedding[0]
        second = torch.softmax(net._column_logits(states, 1), dim=1).mean(0)
    for column, expected in enumerate((first, second)):
        observed = torch.bincount(tokens[:, column], minlength=len(expected)).double() / rows
        reference = torch.multinomial(
            expected, rows, replacement=True, generator=torch.Generator().manual_seed(1)
        )
        noise = (
            torch.bincount(reference, minlength=len(expected)).double() / rows - expected
        ).abs().sum() / 2
        assert (observed - expected).abs().sum() / 2 < 1.5 * noise
        assert not observed[~masks[column]].any()


def test_factorized_head_likelihood_is_that_of_its_full_distribution():
    sizes = (3_000, 1_500)
    net = _random_net(sizes, _masks(sizes))
    tokens = torch.stack([torch.randint(60, size - 1, (256,)) for size in sizes], dim=1)
    tokens[tokens[:, 0] == sizes[0] // 2, 0] = 100
    seen = seen_masks(256, 2, 0.0, torch.Generator(), torch.device("cpu"))
    with torch.no_grad():
        states = net.absent_embedding.sum(0) + torch.bmm(
            seen, net.token_embedding(tokens + net.token_offsets) - net.absent_embedding
        )
        full = sum(
            functional.cross_entropy(net._column_logits(states[:, c], c), tokens[:, c]) for c in range(2)
        )
        assert torch.allclose(net(tokens, seen), full, rtol=1e-5)


def test_a_model_file_that_is_not_ours_is_refused(fitted, tmp_path):
    generator, _, _ = fitted
    generator.save(tmp_path)
    (tmp_path / MODEL_FILE).write_bytes(pickle.dumps({"payload": object()}))
    with pytest.raises(GeneratorError, match="not a model file"):
        AutoregressiveBackend.load(tmp_path, adult_schema())
    torch.save({"weight": torch.zeros(3)}, tmp_path / MODEL_FILE)
    with pytest.raises(GeneratorError, match="not a model file"):
        AutoregressiveBackend.load(tmp_path, adult_schema())
    (tmp_path / "generator.json").write_text('{"format": "something-else"}')
    with pytest.raises(GeneratorError, match="not an Accrete model manifest"):
        AutoregressiveBackend.load(tmp_path, adult_schema())


@pytest.mark.parametrize(
    "settings, name",
    [
        ({"epochz": 3}, "epochz"),
        ({"epochs": 0}, "epochs"),
        ({"device": "tpu"}, "device"),
        ({"bins": 1}, "bins"),
        ({"sample_threads": 0}, "sample_threads"),
    ],
)
def test_bad_settings_are_rejected_by_name(settings, name):
    with pytest.raises(GeneratorError, match=name):
        AutoregressiveBackend(adult_schema(), settings)


class Interrupted(Exception):
    """Raised from the progress callback to stop a training like a killed process."""


def _interrupt_after(epoch: int):
    def progress(event):
        if event["epoch"] == epoch:
            raise Interrupted

    return progress


def test_resumed_training_matches_an_uninterrupted_one(adult, tmp_path):
    rows = adult.head(1_500)
    settings = {**FAST, "epochs": 4, "patience": 2, "checkpoint_dir": str(tmp_path)}
    interrupted = AutoregressiveBackend(adult_schema(), settings, seed=1)
    with pytest.raises(Interrupted):
        interrupted.fit(rows, progress=_interrupt_after(2))
    resumed = AutoregressiveBackend(adult_schema(), settings, seed=1)
    report = resumed.fit(rows)
    assert report.extra["resumed_from_epoch"] == 2
    uninterrupted = AutoregressiveBackend(
        adult_schema(), {k: v for k, v in settings.items() if k != "checkpoint_dir"}, seed=1
    )
    uninterrupted.fit(rows)
    for name, tensor in uninterrupted.net.state_dict().items():
        assert torch.equal(tensor, resumed.net.state_dict()[name]), name
    assert resumed.sample(500).equals(uninterrupted.sample(500))


def test_early_stopping_and_time_budget_end_training(adult):
    rows = adult.head(1_000)
    budget = AutoregressiveBackend(adult_schema(), {**FAST, "epochs": 500, "max_seconds": 0.5}).fit(rows)
    assert budget.extra["stopped_by"] in ("max_seconds", "early_stopping") and budget.epochs < 500
    settings = {**FAST, "epochs": 500, "patience": 1, "learning_rate": 0.05}
    early = AutoregressiveBackend(adult_schema(), settings).fit(rows)
    assert early.extra["stopped_by"] == "early_stopping"
    assert early.extra["best_epoch"] == early.epochs - 1


def test_sampling_threads_do_not_change_what_is_drawn(tmp_path):
    fitted = AutoregressiveBackend(adult_schema(), {"epochs": 2}, seed=3)
    fitted.fit(adult_rows(1500))
    fitted.save(tmp_path)
    samples = []
    for threads in (1, 2):
        loaded = AutoregressiveBackend.load(tmp_path, adult_schema())
        loaded.config["sample_threads"] = threads
        samples.append(loaded.sample(20_000, seed=5))
    pd.testing.assert_frame_equal(samples[0], samples[1])
