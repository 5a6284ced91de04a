"""DDP training through torchrun (gloo, 2 CPU processes) matches one process within noise."""

from __future__ import annotations

import pytest

from accrete.generator.autoregressive.backend import AutoregressiveBackend
from accrete.generator.base import TrainingProcessError
from tests.unit.adult_sample import adult_rows, adult_schema

SETTINGS = {
    "epochs": 6,
    "hidden": 32,
    "batch_size": 256,
    "learning_rate": 0.01,
    "max_seconds": None,
    "patience": 6,
}


def test_two_processes_train_as_well_as_one():
    rows = adult_rows(2_000)
    single = AutoregressiveBackend(adult_schema(), SETTINGS, seed=3)
    single_report = single.fit(rows)
    events = []
    parallel = AutoregressiveBackend(adult_schema(), {**SETTINGS, "distributed_processes": 2}, seed=3)
    parallel_report = parallel.fit(rows, progress=events.append)
    assert parallel_report.extra["processes"] == 2 and [event["epoch"] for event in events] == list(
        range(1, 7)
    )
    assert abs(parallel_report.extra["best_val_loss"] - single_report.extra["best_val_loss"]) < 0.03 * abs(
        single_report.extra["best_val_loss"]
    )
    sampled = parallel.sample(2_000)
    assert abs((sampled["income"] == ">50K").mean() - (rows["income"] == ">50K").mean()) < 0.06


def test_a_failing_worker_is_a_clear_error():
    with pytest.raises(
        TrainingProcessError, match="distributed training failed(.|\n)*at least 2 training rows"
    ):
        AutoregressiveBackend(adult_schema(), {"distributed_processes": 2}).fit(adult_rows(1))
