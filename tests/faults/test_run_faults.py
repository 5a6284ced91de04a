"""Runs that meet a fault: the writing process killed (SIGKILL) in the middle of a step, a full disk.

Each kill test stops the process that writes at a known point (``tests/faults/stall_points.py``)
in a run of ``accrete_pipeline``'s assets, executed as production executes it (a run worker,
steps forked from a step server; ``tests/run_worker.py``), kills it, looks at the
warehouse or the model store while nothing runs, then lets Dagster retry the step or runs the
same selection again on the same instance and home, and compares the result with the landing
files or a clean run. Data is small (two landing files of 1,500 Adult rows), training tiny (4 epochs).
"""

from __future__ import annotations

import errno
import gzip
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from accrete.generator.model_store import LATEST, ModelStore
from accrete.ingest.landing import file_sha256
from accrete.ingest.raw import ingest_landing_files
from accrete.spec import DatasetSpec, load_spec
from accrete.tables import DatasetTables
from accrete.transform.dbt_models import DAILY_TAG, dataset_tag
from accrete.warehouse import connect
from assets.asset_keys import DatasetAssetKeys
from orchestration.definitions import build_definitions
from tests.conftest import (
    ADULT_SPEC,
    REPO,
    SMALL_BATCH_ROWS,
    isolated_home,
    write_small_landing,
    write_small_spec,
)
from tests.faults.run_control import RunWorker, StallControl
from tests.run_worker import outcome_of

DATASET = "adult"
KEYS = DatasetAssetKeys(DATASET)
TABLES = DatasetTables(DATASET)
DBT_SELECTION = [KEYS.staged, KEYS.clean, KEYS.accumulated, KEYS.train, KEYS.holdout]
"""The dbt step of the dataset (one ``dbt build`` of its models)."""
LINEAGE = "_row_id, _batch, _line, _file_sha256"
CORRECTED_ROWS = 1000
"""Rows of the re-delivered (corrected) ``adult-train`` file."""


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def tiny_generator(seed: int) -> dict:
    """The bundled spec's generator block, trained for 4 epochs."""
    generator = yaml.safe_load(ADULT_SPEC.read_text())["generator"]
    return {**generator, "seed": seed, "settings": {"epochs": 4, "max_seconds": None}}


@dataclass
class FaultHome:
    """One Accrete home and Dagster instance, driven by one run worker, reset by each test."""

    home: Path
    landing: Path
    delivered: Path
    """both small Adult landing files, from which tests deliver"""
    prepared: Path
    """the warehouse after ``adult-train`` was ingested and built by dbt"""
    datasets: Path
    worker: RunWorker
    control: StallControl

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse" / "accrete.duckdb"

    @property
    def models(self) -> Path:
        return self.home / "models" / DATASET

    def spec(self) -> DatasetSpec:
        return load_spec(self.datasets / DATASET / "spec.yaml")

    def deliver(self, name: str, rows: int | None = None) -> Path:
        """Put a landing file in place: as delivered, or only its first ``rows`` lines (a correction)."""
        source, target = self.delivered / DATASET / name, self.landing / DATASET / name
        with gzip.open(source, "rt") as handle:
            lines = handle.readlines()[:rows]
        with gzip.open(target, "wt") as handle:
            handle.writelines(lines)
        return target

    def reset(self, seed: int = 0) -> None:
        """The state after ``adult-train`` was delivered, ingested and built; no generator."""
        shutil.rmtree(self.landing / DATASET, ignore_errors=True)
        (self.landing / DATASET).mkdir(parents=True)
        self.deliver("adult-train.csv.gz")
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        Path(f"{self.warehouse}.wal").unlink(missing_ok=True)
        shutil.copy(self.prepared, self.warehouse)
        shutil.rmtree(self.home / "models", ignore_errors=True)
        write_small_spec(self.datasets, generator=tiny_generator(seed))


def build_with_dbt(warehouse: Path, scratch: Path) -> None:
    """The dataset's dbt models built by a plain ``dbt build`` (the fixture's starting state)."""
    dbt = Path(sys.executable).parent / "dbt"
    command = [str(dbt), "build", "--select", f"tag:{dataset_tag(DATASET)}", "--exclude", f"tag:{DAILY_TAG}"]
    command += ["--profiles-dir", ".", "--target-path", str(scratch), "--log-path", str(scratch)]
    environment = {**os.environ, "ACCRETE_WAREHOUSE": str(warehouse), "DBT_TARGET": "ci"}
    built = subprocess.run(
        command, cwd=REPO / "dbt_project", env=environment, capture_output=True, text=True, timeout=900
    )
    assert built.returncode == 0, built.stdout[-3000:]


@pytest.fixture(scope="module")
def faults(tmp_path_factory):
    with pytest.MonkeyPatch.context() as monkeypatch:
        tmp_path = tmp_path_factory.mktemp("faults")
        delivered = tmp_path / "delivered"
        write_small_landing(delivered)
        landing = tmp_path / "landing"
        home = isolated_home(tmp_path, landing, monkeypatch)
        dagster_home = tmp_path / "dagster"
        dagster_home.mkdir()
        shutil.copy(REPO / "deploy" / "local" / "dagster.yaml", dagster_home / "dagster.yaml")
        monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
        control = StallControl(tmp_path / "stalls")
        worker = RunWorker(dict(os.environ), control.folder, tmp_path / "run_worker.log")
        prepared = tmp_path / "prepared" / "accrete.duckdb"  # dbt-duckdb names the catalog after the file
        fault_home = FaultHome(home, landing, delivered, prepared, tmp_path / "datasets", worker, control)
        (landing / DATASET).mkdir(parents=True)
        fault_home.deliver("adult-train.csv.gz")
        with connect(prepared) as connection:
            ingest_landing_files(connection, fault_home.spec(), landing, run_id="prepared")
        build_with_dbt(prepared, tmp_path / "dbt_target")
        try:
            yield fault_home
        finally:
            control.release_all()
            worker.close()


def test_a_killed_ingestion_writes_nothing_and_its_retry_loads_every_file_once(faults):
    faults.reset()
    before = query(faults.warehouse, f"select * from {TABLES.raw} order by _row_id")
    faults.deliver("adult-test.csv.gz")
    faults.deliver("adult-train.csv.gz", rows=CORRECTED_ROWS)  # a corrected file replaces its batch

    faults.control.arm("raw_insert_of_second_batch")
    faults.worker.start([KEYS.raw])
    ingesting = faults.control.wait("raw_insert_of_second_batch", faults.worker)
    faults.control.arm("warehouse_opened")  # Dagster's retry of the step stops before it opens the warehouse
    faults.control.kill(ingesting.pid)
    faults.control.wait("warehouse_opened", faults.worker)
    # the killed transaction had inserted adult-test and deleted the old adult-train: neither shows
    assert query(faults.warehouse, f"select * from {TABLES.raw} order by _row_id") == before

    faults.control.release("warehouse_opened")
    outcome = faults.worker.answer()
    assert outcome["success"], outcome["failures"]
    assert outcome["retried_steps"] == [KEYS.raw.to_user_string()]

    clean_run = faults.warehouse.parent.parent / "clean_run" / "accrete.duckdb"
    clean_run.parent.mkdir()
    shutil.copy(faults.prepared, clean_run)
    with connect(clean_run) as connection:
        ingest_landing_files(connection, faults.spec(), faults.landing, run_id="clean")
    every_column = f"select * exclude (_ingested_at, _run_id) from {TABLES.raw} order by _row_id"
    assert query(faults.warehouse, every_column) == query(clean_run, every_column)
    per_batch = f"select _batch, count(*), count(distinct _row_id), any_value(_file_sha256) from {TABLES.raw} group by 1"
    landing = faults.landing / DATASET
    assert sorted(query(faults.warehouse, per_batch)) == [
        ("adult-test", SMALL_BATCH_ROWS, SMALL_BATCH_ROWS, file_sha256(landing / "adult-test.csv.gz")),
        ("adult-train", CORRECTED_ROWS, CORRECTED_ROWS, file_sha256(landing / "adult-train.csv.gz")),
    ]


def test_a_killed_dbt_build_commits_nothing_of_its_model_and_its_retry_accumulates_every_batch_once(faults):
    faults.reset()
    faults.deliver("adult-test.csv.gz")
    with connect(faults.warehouse) as connection:
        ingest_landing_files(connection, faults.spec(), faults.landing, run_id="delivery")
    accumulated = f"select * from {TABLES.accumulated} order by _row_id"
    before = query(faults.warehouse, accumulated)
    assert {row[1] for row in before} == {"adult-train"}

    faults.control.arm("dbt_insert_into_accumulated")
    faults.worker.start(DBT_SELECTION)
    dbt = faults.control.wait("dbt_insert_into_accumulated", faults.worker)
    faults.control.arm("warehouse_opened")  # Dagster's retry of the step stops before dbt opens the warehouse
    faults.control.kill(dbt.parent_pid, dbt.pid)  # the step process, then its dbt process
    faults.control.wait("warehouse_opened", faults.worker)
    assert query(faults.warehouse, accumulated) == before
    leftovers = (
        "select table_schema, table_name from information_schema.tables where table_name like '%__dbt_%'"
    )
    assert query(faults.warehouse, leftovers) == []

    faults.control.release("warehouse_opened")
    outcome = faults.worker.answer()
    assert outcome["success"], outcome["failures"]
    assert outcome["retried_steps"] == [f"{DATASET}_dbt_models"]
    accumulated_lineage = query(
        faults.warehouse, f"select {LINEAGE} from {TABLES.accumulated} order by _row_id"
    )
    assert accumulated_lineage == query(
        faults.warehouse, f"select {LINEAGE} from {TABLES.raw} order by _row_id"
    )
    per_batch = f"select _batch, count(*), count(distinct _row_id) from {TABLES.accumulated} group by 1"
    assert sorted(query(faults.warehouse, per_batch)) == [
        ("adult-test", SMALL_BATCH_ROWS, SMALL_BATCH_ROWS),
        ("adult-train", SMALL_BATCH_ROWS, SMALL_BATCH_ROWS),
    ]
    split = f"select (select count(*) from {TABLES.train}), (select count(*) from {TABLES.holdout})"
    assert sum(query(faults.warehouse, split)[0]) == 2 * SMALL_BATCH_ROWS


def visible_versions(models: Path) -> set[str]:
    """The version folders a reader of the store sees (the rest is unfinished work)."""
    return {path.name for path in models.iterdir() if path.is_dir() and not path.name.startswith(".")}


def unfinished(models: Path) -> list[Path]:
    return sorted(path for path in models.iterdir() if path.name.startswith("."))


def latest_generator(faults: FaultHome) -> str:
    """The latest version, after checking that it and every visible version are complete and load."""
    store = ModelStore(faults.models.parent)
    for version in visible_versions(faults.models):
        store.get(DATASET, version)  # every file present and matching its manifest's checksum
    stored = store.get(DATASET)
    assert len(store.load(stored, faults.spec().training_schema).sample(50)) == 50
    return stored.version


def test_killed_training_and_a_killed_save_keep_the_previous_generator_and_the_retry_stores_a_whole_one(
    faults,
):
    faults.reset(seed=1)
    outcome = faults.worker.run([KEYS.generator])
    assert outcome["success"], outcome["failures"]
    previous = latest_generator(faults)
    write_small_spec(faults.datasets, generator=tiny_generator(seed=0))  # a new spec: a new version

    faults.control.arm("third_training_epoch")
    faults.worker.start([KEYS.generator])
    training = faults.control.wait("third_training_epoch", faults.worker)
    faults.control.arm("warehouse_opened")
    faults.control.kill(training.pid)
    faults.control.wait("warehouse_opened", faults.worker)  # the first retry, before it reads anything
    assert latest_generator(faults) == previous
    assert visible_versions(faults.models) == {previous} and unfinished(faults.models) == []

    faults.control.arm("model_files_written")
    faults.control.release("warehouse_opened")
    saving = faults.control.wait("model_files_written", faults.worker)
    faults.control.arm("warehouse_opened")
    faults.control.kill(saving.pid)
    faults.control.wait("warehouse_opened", faults.worker)  # the second retry
    assert latest_generator(faults) == previous
    assert visible_versions(faults.models) == {previous}
    (half_written,) = unfinished(faults.models)  # the new model's files, without their manifest
    assert (half_written / "model.pt").is_file() and not (half_written / "manifest.json").exists()

    faults.control.release("warehouse_opened")
    outcome = faults.worker.answer()
    assert outcome["success"], outcome["failures"]
    assert outcome["retried_steps"] == [KEYS.generator.to_user_string()] * 2
    new = latest_generator(faults)
    assert new != previous
    assert sorted(path.name for path in faults.models.iterdir()) == sorted([LATEST, previous, new])


def mount_tmpfs(folder: Path, size: str) -> str | None:
    """Mount a tmpfs of ``size`` on ``folder``; None, or why this machine does not allow it."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except FileNotFoundError:
        return "no mount command"
    return None if mounted.returncode == 0 else mounted.stderr.strip() or f"mount exited {mounted.returncode}"


def fill(folder: Path) -> None:
    """Write into ``folder`` until its file system has no byte left."""
    with (folder / "filler").open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(bytes(1 << 16))
        except OSError as error:
            assert error.errno == errno.ENOSPC, error


def store_a_previous_generator(faults: FaultHome) -> str:
    """A generator trained and stored as the latest, then a spec that calls for a new version."""
    outcome = faults.worker.run([KEYS.generator])
    assert outcome["success"], outcome["failures"]
    write_small_spec(faults.datasets, generator=tiny_generator(seed=0))
    return latest_generator(faults)


def test_a_full_model_store_disk_fails_the_step_naming_it_and_keeps_the_previous_generator(faults):
    faults.reset(seed=1)
    store = faults.home / "models"
    refused = mount_tmpfs(store, "16m")
    if refused:
        pytest.skip(f"cannot mount a small tmpfs here ({refused}); the ENOSPC test below stands in")
    try:
        previous = store_a_previous_generator(faults)
        fill(store)
        assert_failed_for_a_full_store(faults.worker.run([KEYS.generator]), faults, previous)
    finally:
        subprocess.run(["umount", "-l", str(store)], check=False, timeout=30)


def test_writes_failing_with_enospc_fail_the_step_naming_the_store_and_keep_the_previous_generator(
    faults, monkeypatch
):
    """The same full disk where mounting is not allowed: every write into the store fails with ENOSPC
    (half its bytes written first), in a step run in this process, on the same instance."""
    faults.reset(seed=1)
    previous = store_a_previous_generator(faults)
    write_bytes = Path.write_bytes

    def write_until_full(path: Path, data: bytes) -> int:
        if not path.resolve().is_relative_to(faults.models.resolve()):
            return write_bytes(path, data)
        write_bytes(path, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(Path, "write_bytes", write_until_full)
    job = build_definitions().resolve_job_def("accrete_pipeline")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=[KEYS.generator], raise_on_error=False
        )
    assert_failed_for_a_full_store(outcome_of(result), faults, previous)


def assert_failed_for_a_full_store(outcome: dict, faults: FaultHome, previous: str) -> None:
    """Failed at once (a retry cannot free the disk), saying where and why, with nothing half-written."""
    assert not outcome["success"] and outcome["retried_steps"] == []
    (message,) = outcome["failures"]
    assert f"the disk holding the model store {faults.models.resolve()} is full" in message, message
    assert f"the latest is still {previous}; free space there and run the step again" in message, message
    assert latest_generator(faults) == previous
    assert visible_versions(faults.models) == {previous} and unfinished(faults.models) == []
