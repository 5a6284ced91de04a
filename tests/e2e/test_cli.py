"""End to end through the real `dagster` CLI on a temporary DAGSTER_HOME, as `make run` does it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from tests.conftest import REPO

BIN = Path(sys.executable).parent


def test_cli_runs_the_pipeline_job_into_a_persistent_instance(accrete_home: Path, tmp_path: Path):
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / "deploy" / "local" / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    run = subprocess.run(
        [str(BIN / "dagster"), "job", "execute", "-m", "orchestration.definitions", "-j", "accrete_pipeline"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    verdicts = [
        line for line in run.stderr.splitlines() if "ASSET_CHECK_EVALUATION" in line or "STEP_FAILURE" in line
    ]
    assert run.returncode == 0, "\n".join(verdicts) + run.stderr[-2000:]
    assert "RUN_SUCCESS" in run.stderr

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs()
        assert len(runs) == 1 and runs[0].status == dg.DagsterRunStatus.SUCCESS
        for key in ("raw_adult", "adult_clean", "adult_generator", "adult_mixed", "adult_data_card"):
            assert instance.get_latest_materialization_event(dg.AssetKey(key)) is not None, key

    summary = subprocess.run(
        [sys.executable, "-m", "orchestration.summary"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "accumulated real        3,000" in summary.stdout
    assert "gate fidelity" in summary.stdout and "PASS" in summary.stdout
    assert (accrete_home / "reports" / "adult" / "data_card.md").is_file()
