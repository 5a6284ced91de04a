"""End to end through the real `dagster` CLI on a temporary DAGSTER_HOME, as `make run` does it:
five datasets at once in one run, one of them broken, on one DuckDB file."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb

from accrete.spec import load_specs
from accrete.tables import DatasetTables
from tests.conftest import REPO
from tests.dbt_copy import dbt_project_copy, run_dbt
from tests.small_datasets import small_rows, write_small_dataset

BIN = Path(sys.executable).parent
HEALTHY = ["adult", "small_a", "small_b", "small_c"]
BROKEN = "small_broken"


def dbt_project_for(datasets: Path, tmp_path: Path, env: dict) -> Path:
    """A copy of the dbt project with the models of ``datasets``, parsed (the repository's holds the bundled ones)."""
    project = dbt_project_copy(tmp_path / "dbt_project", load_specs(datasets), datasets)
    parsed = run_dbt(project, Path(env["ACCRETE_WAREHOUSE"]), "parse", "--quiet")
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    return project


def test_cli_runs_many_datasets_at_once_and_a_broken_one_stops_only_itself(
    accrete_home: Path, tmp_path: Path
):
    datasets, landing = Path(os.environ["ACCRETE_DATASETS"]), Path(os.environ["ACCRETE_LANDING"])
    for seed, name in enumerate(HEALTHY[1:] + [BROKEN], start=1):
        write_small_dataset(datasets, landing, name, seed)
    # a value the spec does not know: the file is refused at the door
    broken = small_rows(50, seed=9).assign(segment="wholesale")
    broken.to_csv(landing / BROKEN / f"{BROKEN}-1.csv", index=False)

    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / "deploy" / "local" / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    env["ACCRETE_DBT_PROJECT"] = str(dbt_project_for(datasets, tmp_path, env))
    started = time.monotonic()
    run = subprocess.run(
        [str(BIN / "dagster"), "job", "execute", "-m", "orchestration.definitions", "-j", "accrete_pipeline"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    print(f"five datasets, one run: {time.monotonic() - started:.0f} s")
    assert run.returncode != 0 and "RUN_FAILURE" in run.stderr
    assert "Could not set lock" not in run.stderr  # readers and writers waited for each other

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        (pipeline_run,) = instance.get_runs()
        failures = [
            (event.step_key, str(event.dagster_event.step_failure_data.error))
            for event in instance.all_logs(pipeline_run.run_id)
            if event.is_dagster_event and event.dagster_event.is_step_failure
        ]
        # the broken dataset fails at its own door, naming the file and the value, and nothing else fails
        assert [step for step, _ in failures] == [f"raw_{BROKEN}"], failures
        assert f"{BROKEN}-1.csv" in failures[0][1] and "'wholesale'" in failures[0][1]
        for name in HEALTHY:
            for key in (
                f"raw_{name}",
                f"{name}_clean",
                f"{name}_generator",
                f"{name}_mixed",
                f"{name}_data_card",
            ):
                assert instance.get_latest_materialization_event(dg.AssetKey(key)) is not None, key
        assert instance.get_latest_materialization_event(dg.AssetKey(f"{BROKEN}_clean")) is None
    with duckdb.connect(str(accrete_home / "warehouse" / "accrete.duckdb"), read_only=True) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "select schema_name || '.' || table_name from duckdb_tables()"
            ).fetchall()
        }
        assert {DatasetTables(name).mixed for name in HEALTHY} <= tables
        assert DatasetTables(BROKEN).raw not in tables

    summary = subprocess.run(
        [sys.executable, "-m", "orchestration.summary", "adult"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "accumulated real        3,000" in summary.stdout
    assert "gate fidelity" in summary.stdout and "PASS" in summary.stdout
    assert "small_a" not in summary.stdout  # one dataset asked for, one shown
    assert (accrete_home / "reports" / "adult" / "data_card.md").is_file()
