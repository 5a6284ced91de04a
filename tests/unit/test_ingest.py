"""Ingestion into a real DuckDB file: idempotent, replaces re-delivered batches, all or nothing."""

import gzip
import shutil
from datetime import date

import dagster as dg
import pytest

from accrete.ingest.landing import LandingFileError
from accrete.ingest.raw import ingest_landing_files
from accrete.ingest.replay import replay
from accrete.spec import load_spec
from accrete.warehouse import connect
from assets.ingest.raw import build_raw_asset
from resources import DuckDBWarehouse, LandingZone
from tests.conftest import REPO


def raw_counts(connection) -> dict[str, int]:
    return dict(connection.execute("select _batch, count(*) from raw.adult group by 1 order by 1").fetchall())


def test_ingests_every_batch_with_lineage(adult_spec, small_landing, tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        report = ingest_landing_files(connection, adult_spec, small_landing, run_id="run-1")
        assert report.ingested == {"adult-test": 1500, "adult-train": 1500}
        assert report.total_rows == 3000
        row = connection.execute(
            "select _row_id, _batch, _line, _run_id, length(_file_sha256) from raw.adult where _row_id = 'adult-train:7'"
        ).fetchall()
        assert row == [("adult-train:7", "adult-train", 7, "run-1", 64)]


def test_running_twice_changes_nothing(adult_spec, small_landing, tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        ingest_landing_files(connection, adult_spec, small_landing, run_id="run-1")
        first = connection.execute("select * from raw.adult order by _row_id").df()
        report = ingest_landing_files(connection, adult_spec, small_landing, run_id="run-2")
        assert report.ingested == {}
        assert report.unchanged == ["adult-test", "adult-train"]
        second = connection.execute("select * from raw.adult order by _row_id").df()
    assert first.equals(second)


def test_redelivered_file_replaces_its_batch(adult_spec, small_landing, tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        ingest_landing_files(connection, adult_spec, small_landing, run_id="run-1")
        corrected = small_landing / "adult" / "adult-train.csv.gz"
        with gzip.open(corrected, "rt") as handle:
            lines = handle.readlines()[:1000]
        with gzip.open(corrected, "wt") as handle:
            handle.writelines(lines)
        report = ingest_landing_files(connection, adult_spec, small_landing, run_id="run-2")
        assert report.ingested == {"adult-train": 1000}
        assert raw_counts(connection) == {"adult-test": 1500, "adult-train": 1000}


def test_a_bad_file_writes_nothing_at_all(adult_spec, small_landing, tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        ingest_landing_files(connection, adult_spec, small_landing, run_id="run-1")
        before = raw_counts(connection)
        shutil.copy(
            small_landing / "adult" / "adult-test.csv.gz", small_landing / "adult" / "adult-more.csv.gz"
        )
        with gzip.open(small_landing / "adult" / "adult-zbad.csv.gz", "wt") as handle:
            handle.write("not, a, valid, row\n")
        with pytest.raises(LandingFileError, match="adult-zbad.csv.gz"):
            ingest_landing_files(connection, adult_spec, small_landing, run_id="run-2")
        assert raw_counts(connection) == before


def test_the_same_file_under_another_name_is_skipped_and_said_so(adult_spec, small_landing, tmp_path):
    folder = small_landing / "adult"
    with connect(tmp_path / "w.duckdb") as connection:
        ingest_landing_files(connection, adult_spec, small_landing, run_id="run-1")
        before = connection.execute("select * from raw.adult order by _row_id").df()
        shutil.copy(folder / "adult-train.csv.gz", folder / "adult-train-resent.csv.gz")
        report = ingest_landing_files(connection, adult_spec, small_landing, run_id="run-2")
        assert report.ingested == {}
        assert [str(skipped) for skipped in report.same_content] == [
            "skipped adult-train-resent.csv.gz: same content as adult-train, ingested in run run-1"
        ]
        assert connection.execute("select * from raw.adult order by _row_id").df().equals(before)


def test_two_copies_in_one_delivery_are_ingested_once(adult_spec, small_landing, tmp_path):
    folder = small_landing / "adult"
    shutil.copy(folder / "adult-test.csv.gz", folder / "adult-test2.csv.gz")
    with connect(tmp_path / "w.duckdb") as connection:
        report = ingest_landing_files(connection, adult_spec, small_landing, run_id="run-1")
        assert report.ingested == {"adult-test": 1500, "adult-train": 1500}
        assert [str(skipped) for skipped in report.same_content] == [
            "skipped adult-test2.csv.gz: same content as adult-test, ingested in run run-1"
        ]
        # the batch that held the content is corrected: the copy is now the only file with those bytes
        with gzip.open(folder / "adult-test.csv.gz", "rt") as handle:
            lines = handle.readlines()[:100]
        with gzip.open(folder / "adult-test.csv.gz", "wt") as handle:
            handle.writelines(lines)
        report = ingest_landing_files(connection, adult_spec, small_landing, run_id="run-2")
        assert report.ingested == {"adult-test": 100, "adult-test2": 1500}
        assert report.same_content == []


def test_a_day_delivered_with_another_days_bytes_is_still_that_day(tmp_path):
    """Daily datasets stay idempotent per partition: a day's file is that day's rows, whatever its bytes."""
    flights = load_spec(REPO / "datasets" / "flights" / "spec.yaml")
    landing = tmp_path / "landing"
    [first] = replay(flights, REPO / "datasets" / "flights", landing, [date(2013, 1, 1)])
    shutil.copy(first, first.with_name("2013-01-02.csv"))
    with connect(tmp_path / "w.duckdb") as connection:
        report = ingest_landing_files(
            connection, flights, landing, "run-1", days=["2013-01-01", "2013-01-02"]
        )
        assert report.same_content == []
        assert set(report.ingested) == {"2013-01-01", "2013-01-02"}


def test_the_raw_asset_logs_and_reports_a_skipped_copy(adult_spec, small_landing, tmp_path):
    shutil.copy(
        small_landing / "adult" / "adult-train.csv.gz", small_landing / "adult" / "adult-again.csv.gz"
    )
    resources = {
        "warehouse": DuckDBWarehouse(path=str(tmp_path / "w.duckdb")),
        "landing": LandingZone(root=str(small_landing)),
    }
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([build_raw_asset(adult_spec)], resources=resources, instance=instance)
    assert result.success
    # files are taken in name order: adult-again is ingested, the original name comes second
    expected = f"skipped adult-train.csv.gz: same content as adult-again, ingested in run {result.run_id}"
    [materialization] = result.asset_materializations_for_node("raw_adult")
    assert materialization.metadata["files_skipped_same_content"].value == [expected]
    assert f"adult: {expected}" in [entry.user_message for entry in instance.all_logs(result.run_id)]
