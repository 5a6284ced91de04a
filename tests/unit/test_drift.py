"""The retrain cadence: drift between learned and new days, and when a retrain is due."""

import numpy as np
import pandas as pd
import pytest

from accrete.generator.drift import column_drift, retrain_decision
from accrete.spec import RetrainSpec
from accrete.table_schema import ModelColumn, TableSchema

SCHEMA = TableSchema(
    (
        ModelColumn("delay", "numerical"),
        ModelColumn("carrier", "categorical"),
        ModelColumn("when", "datetime"),
    )
)


def frame(delay_shift: float, carriers: list[str], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "delay": rng.normal(delay_shift, 10, 2000),
            "carrier": rng.choice(carriers, 2000),
            "when": pd.Timestamp("2013-01-01") + pd.to_timedelta(rng.integers(0, 86400, 2000), unit="s"),
        }
    )


def test_same_distribution_drifts_little_and_a_shift_drifts_a_lot():
    learned = frame(0, ["AA", "UA"], seed=1)
    assert max(column_drift(learned, frame(0, ["AA", "UA"], seed=2), SCHEMA).values()) < 0.06
    shifted = column_drift(learned, frame(15, ["AA", "UA"], seed=2), SCHEMA)
    assert shifted["delay"] > 0.4
    assert column_drift(learned, frame(0, ["DL"], seed=2), SCHEMA)["carrier"] == 1.0


@pytest.mark.parametrize(
    ("has_generator", "new_days", "drift", "due", "reason"),
    [
        (False, 3, {}, True, "no generator"),
        (True, 0, {}, False, "no new days"),
        (True, 3, {"delay": 0.05}, False, "3 of 7 new days"),
        (True, 7, {"delay": 0.05}, True, "7 new days"),
        (True, 1, {"delay": 0.05, "carrier": 0.3}, True, "'carrier' drifted by 0.300"),
    ],
)
def test_retrain_is_due_after_enough_days_or_on_drift(has_generator, new_days, drift, due, reason):
    decision = retrain_decision(
        has_generator, new_days, drift, RetrainSpec(every_partitions=7, max_drift=0.2)
    )
    assert decision.due is due
    assert reason in decision.reason
