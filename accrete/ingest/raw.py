"""Ingestion: landing files into the warehouse's ``raw`` schema, whole files or nothing.

Each landing file is one batch. Re-ingesting a batch first deletes its rows, so running
ingestion again never duplicates anything; a file whose content hash is already stored is
skipped, and so is a whole file whose bytes are another batch's (the same file delivered again
under another name). All files are read and checked before the first row is written, and all
writes happen in one transaction; when the spec's columns changed, that transaction first
migrates the raw table (``accrete.ingest.raw_migration``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from accrete.ingest.landing import (
    IngestedBatch,
    LandingFile,
    SameContent,
    changed_batches,
    find_landing_files,
    partition_landing_files,
    read_landing_file,
    split_same_content,
)
from accrete.ingest.quarantine import replace_quarantined_rows
from accrete.ingest.raw_migration import RawMigration, apply_raw_migration, plan_raw_migration
from accrete.spec import DatasetSpec
from accrete.tables import RAW_SCHEMA, DatasetTables
from accrete.warehouse import column_types, quote_identifier, table_exists, transaction

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
    same_content: list[SameContent]
    """whole files skipped because their content is already in raw under another batch"""
    migration: RawMigration | None
    """what changed in the raw table's columns to follow the spec (None: nothing)"""
    quarantined: dict[str, int]
    """batch -> rows set aside in the quarantine table (``on_invalid: quarantine``), not in raw"""


def _stored_batches(connection: duckdb.DuckDBPyConnection, table: str) -> dict[str, IngestedBatch]:
    """Every batch in raw, with its file's hash and its run (a batch is written by one run)."""
    if not table_exists(connection, table):
        return {}
    rows = connection.execute(
        f"select _batch, any_value(_file_sha256), any_value(_run_id) from {table} group by _batch"
    ).fetchall()
    return {batch: IngestedBatch(sha256, run_id) for batch, sha256, run_id in rows}


def _create_raw_table(connection: duckdb.DuckDBPyConnection, spec: DatasetSpec, table: str) -> None:
    columns = [f"{name} {kind}" for name, kind in RAW_LINEAGE_COLUMNS.items()]
    columns += [f"{quote_identifier(name)} varchar" for name in spec.columns]
    connection.execute(f"create schema if not exists {RAW_SCHEMA}")
    connection.execute(f"create table if not exists {table} ({', '.join(columns)})")


def _stored_columns(connection: duckdb.DuckDBPyConnection, table: str) -> list[str] | None:
    """The raw table's spec columns (its lineage columns aside); None before its first ingestion."""
    if not table_exists(connection, table):
        return None
    return [name for name in column_types(connection, table) if name not in RAW_LINEAGE_COLUMNS]


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
    tables = DatasetTables(spec.name)
    table = tables.raw
    if spec.partitions is None:
        files = find_landing_files(spec, landing_root)
    elif days:
        files = partition_landing_files(spec, landing_root, days)
    else:
        raise ValueError(f"{spec.name} is a daily dataset: name the days to ingest")
    stored = _stored_batches(connection, table)
    changed = changed_batches(files, {name: batch.sha256 for name, batch in stored.items()})
    pending, same_content = changed, []
    if spec.partitions is None:
        pending, same_content = split_same_content(changed, stored, run_id)
    now = datetime.now(UTC).replace(tzinfo=None)
    batches = [(landing_file, read_landing_file(landing_file, spec)) for landing_file in pending]
    # a spec change the stored rows cannot follow is refused here, before anything is written
    migration = plan_raw_migration(
        connection, spec, _stored_columns(connection, table), [batch.rows for _, batch in batches]
    )
    with transaction(connection):
        _create_raw_table(connection, spec, table)
        if migration is not None:
            apply_raw_migration(connection, migration, run_id, now)
        for landing_file, batch in batches:
            connection.execute(f"delete from {table} where _batch = ?", [landing_file.batch])
            quarantined = _with_lineage(batch.quarantined, landing_file, run_id, now)
            replace_quarantined_rows(connection, tables.quarantine, landing_file.batch, quarantined)
            connection.register("landing_batch", _with_lineage(batch.rows, landing_file, run_id, now))
            # by name: a migration appends an added column after the others
            connection.execute(f"insert into {table} by name select * from landing_batch")
            connection.unregister("landing_batch")
    total = connection.execute(f"select count(*) from {table}").fetchall()[0][0]
    return IngestionReport(
        ingested={landing_file.batch: len(batch.rows) for landing_file, batch in batches},
        unchanged=[landing_file.batch for landing_file in files if landing_file not in changed],
        total_rows=total,
        same_content=same_content,
        migration=migration,
        quarantined={landing_file.batch: len(batch.quarantined) for landing_file, batch in batches},
    )
