"""Ingestion: landing files into the warehouse's ``raw`` schema, whole files or nothing.

Each landing file is one batch. Re-ingesting a batch first deletes its rows, so running
ingestion again never duplicates anything; a file whose content hash is already stored is
skipped. All files are read and checked before the first row is written, and all writes
happen in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from accrete.ingest.landing import LandingFile, find_landing_files, partition_landing_files, read_landing_file
from accrete.spec import DatasetSpec
from accrete.tables import RAW_SCHEMA, DatasetTables
from accrete.warehouse import table_exists, transaction

RAW_LINEAGE_COLUMNS = {
    "_row_id": "varchar",
    "_batch": "varchar",
    "_line": "bigint",
    "_file_sha256": "varchar",
    "_ingested_at": "timestamp",
    "_run_id": "varchar",
}


@dataclass
class IngestionReport:
    """What one ingestion did."""

    ingested: dict[str, int]
    """batch -> rows written"""
    unchanged: list[str]
    """batches skipped because the same file content is already in raw"""
    total_rows: int


def _stored_hashes(connection: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    if not table_exists(connection, table):
        return {}
    rows = connection.execute(f"select distinct _batch, _file_sha256 from {table}").fetchall()
    return dict(rows)


def _create_raw_table(connection: duckdb.DuckDBPyConnection, spec: DatasetSpec, table: str) -> None:
    columns = [f"{name} {kind}" for name, kind in RAW_LINEAGE_COLUMNS.items()]
    columns += [f"{name} varchar" for name in spec.columns]
    connection.execute(f"create schema if not exists {RAW_SCHEMA}")
    connection.execute(f"create table if not exists {table} ({', '.join(columns)})")
    existing = [row[0] for row in connection.execute(f"describe {table}").fetchall()]
    expected = [*RAW_LINEAGE_COLUMNS, *spec.columns]
    if existing != expected:
        raise ValueError(
            f"{table} has columns {existing}, but the spec now describes {expected}: "
            "a changed column list needs a new dataset name or a migration of the raw table"
        )


def _with_lineage(frame: pd.DataFrame, landing_file: LandingFile, run_id: str, now: datetime) -> pd.DataFrame:
    lineage = pd.DataFrame(
        {
            "_row_id": landing_file.batch + ":" + frame["_line"].astype(str),
            "_batch": landing_file.batch,
            "_line": frame["_line"].astype("int64"),
            "_file_sha256": landing_file.sha256,
            "_ingested_at": now,
            "_run_id": run_id,
        }
    )
    return pd.concat([lineage, frame.drop(columns="_line")], axis=1)


def ingest_landing_files(
    connection: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    landing_root: Path,
    run_id: str,
    days: list[str] | None = None,
) -> IngestionReport:
    """Bring every new or changed landing file of ``spec`` into ``raw.<name>``.

    For a daily dataset, ``days`` says which days' files to bring (each must exist).
    """
    table = DatasetTables(spec.name).raw
    if spec.partitions is None:
        files = find_landing_files(spec, landing_root)
    elif days:
        files = partition_landing_files(spec, landing_root, days)
    else:
        raise ValueError(f"{spec.name} is a daily dataset: name the days to ingest")
    stored = _stored_hashes(connection, table)
    pending = [
        landing_file for landing_file in files if stored.get(landing_file.batch) != landing_file.sha256
    ]
    now = datetime.now(UTC).replace(tzinfo=None)
    batches = [(landing_file, read_landing_file(landing_file, spec)) for landing_file in pending]
    with transaction(connection):
        _create_raw_table(connection, spec, table)
        for landing_file, frame in batches:
            connection.execute(f"delete from {table} where _batch = ?", [landing_file.batch])
            connection.register("landing_batch", _with_lineage(frame, landing_file, run_id, now))
            connection.execute(f"insert into {table} select * from landing_batch")
            connection.unregister("landing_batch")
    total = connection.execute(f"select count(*) from {table}").fetchall()[0][0]
    return IngestionReport(
        ingested={landing_file.batch: len(frame) for landing_file, frame in batches},
        unchanged=[landing_file.batch for landing_file in files if landing_file not in pending],
        total_rows=total,
    )
