"""The autoregressive trainer's time budget, checked within epochs, on real Adult rows (CPU).

Budgets are far shorter than the epochs they cut, and the tolerances are a second, about a hundred
times the overshoot measured (0.004 s on these rows, 0.04 s on a 250,000-row, 38-column table),
so a loaded machine slows the fits without failing the tests.
"""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from accrete.generator.autoregressive.backend import AutoregressiveBackend
from bench.adult import load_adult
from tests.unit.adult_sample import adult_rows, adult_schema

TOLERANCE_SECONDS = 1.0
SLOW_EPOCH = {"epochs": 100, "batch_size": 32, "patience": 100}
"""Small steps over every Adult row: one epoch takes 10 s or more here, at least seconds anywhere."""


@pytest.fixture(scope="module")
def every_adult_row() -> pd.DataFrame:
    return pd.concat([load_adult("train"), load_adult("test")], ignore_index=True)


def test_a_budget_shorter_than_an_epoch_ends_training_within_it(every_adult_row):
    budget = 0.5
    events = []
    generator = AutoregressiveBackend(adult_schema(), {**SLOW_EPOCH, "max_seconds": budget}, seed=2)
    report = generator.fit(every_adult_row, progress=events.append)
    assert report.extra["stopped_by"] == "max_seconds" and report.epochs == 1
    assert 0 < report.extra["epochs_run"] < 1 and [event["epoch_fraction"] for event in events] == [
        report.extra["epochs_run"]
    ]
    assert events[-1]["seconds"] < budget + TOLERANCE_SECONDS
    # the first epoch cut short is the model: nothing else was trained, so it is not validated
    assert report.extra["best_epoch"] == 1 and report.extra["best_val_loss"] is None
    rows = generator.sample(2_000, seed=1)
    assert list(rows.columns) == adult_schema().names and rows["age"].between(17, 90).all()
    assert set(rows["income"]) == {"<=50K", ">50K"}


def test_a_later_epoch_cut_short_is_validated_and_the_best_weights_kept():
    budget = 3.0
    settings = {**SLOW_EPOCH, "batch_size": 16, "max_seconds": budget}
    events = []
    report = AutoregressiveBackend(adult_schema(), settings, seed=2).fit(adult_rows(1_500), events.append)
    assert report.extra["stopped_by"] == "max_seconds" and report.epochs > 1
    assert events[-1]["seconds"] < budget + TOLERANCE_SECONDS
    assert report.epochs - 1 < report.extra["epochs_run"] <= report.epochs
    val_losses = report.extra["val_losses"]
    assert len(val_losses) == report.epochs and all(isinstance(loss, float) for loss in val_losses)
    best = report.extra["best_val_loss"]
    assert best == val_losses[report.extra["best_epoch"] - 1] and best < min(val_losses) + 1e-4


def test_a_budget_not_reached_trains_the_weights_of_no_budget():
    rows = adult_rows(1_000)
    settings = {"epochs": 3, "batch_size": 128, "patience": 3}
    nets = []
    for budget in (None, 10_000.0):
        generator = AutoregressiveBackend(adult_schema(), {**settings, "max_seconds": budget}, seed=4)
        assert generator.fit(rows).extra["epochs_run"] == 3
        nets.append(generator.net.state_dict())
    assert all(torch.equal(tensor, nets[1][name]) for name, tensor in nets[0].items())


def test_distributed_processes_stop_together_within_an_epoch(every_adult_row):
    """Each process may read its clock past the budget at a different step: they agree (all-reduce)
    on one, or DDP would hang waiting for the process that stopped."""
    budget = 1.0
    settings = {**SLOW_EPOCH, "max_seconds": budget, "distributed_processes": 2}
    generator = AutoregressiveBackend(adult_schema(), settings, seed=2)
    events = []
    report = generator.fit(every_adult_row, progress=events.append)
    assert report.extra["processes"] == 2 and report.extra["stopped_by"] == "max_seconds"
    assert 0 < report.extra["epochs_run"] < 1 and events[-1]["seconds"] < budget + TOLERANCE_SECONDS
    assert set(generator.sample(1_000)["income"]) == {"<=50K", ">50K"}
