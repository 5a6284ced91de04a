"""Ingestion into a real DuckDB file: idempotent, replaces re-delivered batches, all or nothing."""

import gzip
import shutil

import pytest

from accrete.ingest.landing import LandingFileError
from accrete.ingest.raw import ingest_landing_files
from accrete.warehouse import connect


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
