"""The daily dataset (flights) run by day on a Dagster instance stored in a real PostgreSQL server.

Days arrive as landing files; a range of days runs as one run per step (single-run backfill);
re-running a day changes nothing; a corrected file for a past day re-runs that day and the
accumulated table ends right. The instance's runs and events live in PostgreSQL, the way
``deploy/prod/dagster.yaml`` stores them.
"""

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from accrete.ingest.replay import replay
from accrete.spec import load_spec
from assets.asset_keys import DatasetAssetKeys
from tests.conftest import REPO
from tests.postgres_server import postgres_server, write_postgres_dagster_yaml  # noqa: F401

FLIGHTS = REPO / "datasets" / "flights"
DAYS = ["2013-01-01", "2013-01-02", "2013-01-03"]
BIN = Path(sys.executable).parent


def run_days(environment: dict[str, str], first: str, last: str) -> subprocess.CompletedProcess:
    """Load the days ``first`` to ``last`` with the README's backfill command: one run, one step per asset.

    A separate process, as a user's or the daemon's is: its steps fork from their own server,
    with this test's environment.
    """
    return subprocess.run(
        [
            str(BIN / "dagster"),
            *("asset", "materialize", "-m", "orchestration.definitions"),
            *(
                "--select",
                ",".join(
                    key.to_user_string()
                    for key in DatasetAssetKeys(load_spec(FLIGHTS / "spec.yaml").name).daily
                ),
            ),
            *("--partition-range", f"{first}...{last}"),
        ],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def accumulated(home) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse" / "accrete.duckdb"), read_only=True) as connection:
        return connection.execute(
            "select * exclude (_ingested_at, _run_id) from real.flights_real_accumulated order by _row_id"
        ).fetchall()


def rows_per_day(home) -> dict[str, int]:
    with duckdb.connect(str(home / "warehouse" / "accrete.duckdb"), read_only=True) as connection:
        return dict(
            connection.execute(
                "select _batch, count(*) from real.flights_real_accumulated group by 1"
            ).fetchall()
        )


@pytest.fixture(scope="module")
def daily(tmp_path_factory, postgres_server):  # noqa: F811
    """Three replayed flights days, an Accrete home, and a Dagster home stored in PostgreSQL."""
    tmp_path = tmp_path_factory.mktemp("daily")
    datasets = tmp_path / "datasets" / "flights"
    shutil.copytree(FLIGHTS, datasets)
    landing = tmp_path / "landing"
    replay(load_spec(datasets / "spec.yaml"), datasets, landing, [date.fromisoformat(day) for day in DAYS])
    home = tmp_path / "home"
    dagster_home = tmp_path / "dagster"
    server = postgres_server.new_database("accrete_daily")
    environment = {
        **os.environ,
        **server.environment(),
        "ACCRETE_HOME": str(home),
        "ACCRETE_WAREHOUSE": str(home / "warehouse" / "accrete.duckdb"),
        "ACCRETE_LANDING": str(landing),
        "ACCRETE_DATASETS": str(datasets.parent),
        "DBT_TARGET": "ci",
        "DAGSTER_HOME": str(dagster_home),
    }
    write_postgres_dagster_yaml(dagster_home)
    with pytest.MonkeyPatch.context() as monkeypatch:
        server.set_environment(monkeypatch)
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            yield home, landing, environment, instance


def test_a_range_of_days_runs_as_one_run_per_step_on_postgres(daily):
    home, _, environment, instance = daily
    result = run_days(environment, DAYS[0], DAYS[1])
    assert result.returncode == 0, result.stderr[-3000:]
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    runs = instance.get_runs()
    assert len(runs) == 1 and runs[0].status == dg.DagsterRunStatus.SUCCESS
    steps = [
        record.event_log_entry.step_key
        for record in instance.get_records_for_run(runs[0].run_id).records
        if record.event_log_entry.dagster_event_type == dg.DagsterEventType.STEP_SUCCESS
    ]
    # each step once for both days; the clean table's expectations are checked after its days load
    assert sorted(steps) == ["flights_clean_spec_expectations", "flights_daily_dbt_models", "raw_flights"]
    assert set(rows_per_day(home)) == set(DAYS[:2])
    materialized = instance.get_materialized_partitions(dg.AssetKey("flights_real_accumulated"))
    assert materialized == set(DAYS[:2])


def test_next_day_adds_only_its_rows_and_rerunning_a_day_changes_nothing(daily):
    home, landing, environment, _ = daily
    before = accumulated(home)
    # day 2 again (its file unchanged) together with the new day 3
    assert run_days(environment, DAYS[1], DAYS[2]).returncode == 0
    after = accumulated(home)
    delivered = sum(1 for _ in (landing / "flights" / f"{DAYS[2]}.csv").open()) - 1
    assert rows_per_day(home)[DAYS[2]] == delivered
    batch = 1  # the _batch column, after _row_id
    assert [row for row in after if row[batch] != DAYS[2]] == before


def test_a_corrected_file_for_a_past_day_replaces_that_day(daily):
    home, landing, environment, _ = daily
    before = rows_per_day(home)
    path = landing / "flights" / f"{DAYS[0]}.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-10]))  # the source withdrew ten flights
    assert run_days(environment, DAYS[0], DAYS[0]).returncode == 0
    after = rows_per_day(home)
    assert after[DAYS[0]] == before[DAYS[0]] - 10
    assert {day: after[day] for day in DAYS[1:]} == {day: before[day] for day in DAYS[1:]}
    with duckdb.connect(str(home / "warehouse" / "accrete.duckdb"), read_only=True) as connection:
        duplicates = connection.execute(
            "select count(*) - count(distinct _row_id) from real.flights_real_accumulated"
        ).fetchall()[0][0]
    assert duplicates == 0


def test_a_missing_day_fails_naming_its_file_and_writes_nothing(daily):
    home, _, environment, _ = daily
    before = accumulated(home)
    result = run_days(environment, "2013-01-04", "2013-01-04")
    assert result.returncode != 0
    assert "no landing file for 1 of the requested days" in result.stderr
    assert "2013-01-04.csv" in result.stderr
    assert accumulated(home) == before
