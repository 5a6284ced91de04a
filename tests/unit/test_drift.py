"""The retrain cadence: drift between learned and new days, and when a retrain is due."""

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from accrete.generator.drift import calendar_columns, column_drift, columns_not_compared, retrain_decision
from accrete.spec import DatasetSpec, RetrainSpec, load_spec
from accrete.table_schema import ModelColumn, TableSchema
from bench.validation import spec_columns
from tests.conftest import REPO

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


# --- the bundled flights history: drift means new data differs, not that the calendar moved on ---

FLIGHTS = REPO / "datasets" / "flights"
FIRST_WEEK = [f"2013-01-0{day}" for day in range(1, 8)]
POLICY = RetrainSpec(every_partitions=7, max_drift=0.2)


@pytest.fixture(scope="module")
def flights_spec():
    return load_spec(FLIGHTS / "spec.yaml")


@pytest.fixture(scope="module")
def flights_days(flights_spec) -> pd.DataFrame:
    """January and February 2013 as the train split holds them: training columns plus the day."""
    rows = duckdb.sql(
        f"select *, strftime(make_date(year, month, day), '%Y-%m-%d') as _batch "
        f"from read_parquet('{FLIGHTS / 'flights.parquet'}') where month <= 2"
    ).df()
    return spec_columns(rows, flights_spec, rows).assign(_batch=rows["_batch"])


def drift_decision(flights_spec, learned: pd.DataFrame, new: pd.DataFrame):
    """The decision the drift asset takes for ``new`` days against ``learned`` ones."""
    rows = pd.concat([learned, new], ignore_index=True)
    schema = flights_spec.training_schema
    drift = column_drift(learned, new, schema, calendar_columns(rows, schema, "_batch"))
    return drift, retrain_decision(True, new["_batch"].nunique(), drift, POLICY)


def test_the_columns_that_name_the_day_are_not_compared(flights_spec, flights_days):
    week = flights_days[flights_days["_batch"].isin(FIRST_WEEK)]
    assert calendar_columns(week, flights_spec.training_schema, "_batch") == {"year", "month", "day"}
    # one day is not a calendar: nothing can be told apart from the other days yet
    first_day = week[week["_batch"] == FIRST_WEEK[0]]
    assert calendar_columns(first_day, flights_spec.training_schema, "_batch") == set()


def test_a_new_day_like_the_learned_ones_waits_for_the_seventh(flights_spec, flights_days):
    learned = flights_days[flights_days["_batch"].isin(FIRST_WEEK)]
    # the next real day, and a day resampled from the learned week (the same distribution by construction)
    next_day = flights_days[flights_days["_batch"] == "2013-01-08"]
    resampled = learned.sample(900, random_state=0).assign(_batch="2013-01-08", day=8)
    for new in (next_day, resampled):
        drift, decision = drift_decision(flights_spec, learned, new)
        assert "day" not in drift and "time_hour" in drift  # time_hour compared by time of day
        assert max(drift.values()) <= POLICY.max_drift, drift
        assert not decision.due and "1 of 7 new days" in decision.reason
    week_two = flights_days[flights_days["_batch"].between("2013-01-08", "2013-01-14")]
    assert drift_decision(flights_spec, learned, week_two)[1].reason == "7 new days (retrain every 7)"


def test_a_day_that_really_differs_is_due_and_named(flights_spec, flights_days):
    """8 February 2013, the blizzard: about half of the day's flights were cancelled (no actual times)."""
    learned = flights_days[flights_days["_batch"].isin(FIRST_WEEK)]
    blizzard = flights_days[flights_days["_batch"] == "2013-02-08"]
    drift, decision = drift_decision(flights_spec, learned, blizzard)
    assert decision.due
    assert "_was_missing' drifted by 0.5" in decision.reason
    assert drift["dep_time_was_missing"] > 0.45


def test_a_trend_column_is_left_out_by_the_spec(flights_days):
    content = yaml.safe_load((FLIGHTS / "spec.yaml").read_text())
    week = flights_days[flights_days["_batch"].isin(FIRST_WEEK)]
    assert columns_not_compared(DatasetSpec.model_validate(content), week) == {"year", "month", "day"}
    content["columns"]["distance"]["trend"] = True
    assert "distance" in columns_not_compared(DatasetSpec.model_validate(content), week)


def test_rare_categories_are_compared_pooled():
    """Thousands of tail numbers: a week and a day share few by chance, and that is not drift."""
    rng = np.random.default_rng(0)
    tails = [f"N{number}" for number in range(4000)]
    week, day = rng.choice(tails, 6000), rng.choice(tails, 900)
    schema = TableSchema((ModelColumn("tailnum", "categorical"),))
    assert (
        column_drift(pd.DataFrame({"tailnum": week}), pd.DataFrame({"tailnum": day}), schema)["tailnum"]
        < 0.05
    )
