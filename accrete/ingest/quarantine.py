"""The quarantine table of a dataset: landing rows set aside for their values, with the reason.

Under ``on_invalid: quarantine`` a landing file's rows with a value problem (not their column's
type, an unknown category, outside [min, max], a required value missing) never reach raw; they are
kept in ``quarantine.<name>``: the raw table's lineage columns (batch, line, file hash, run), then
``_reason`` and ``_values`` (the row as delivered, a JSON object keyed by column, so the table keeps
its shape when the spec's columns change). Like raw, a batch's rows are replaced when it is ingested
again, in the ingestion's transaction.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from accrete.warehouse import table_exists


def replace_quarantined_rows(
    connection: duckdb.DuckDBPyConnection, table: str, batch: str, rows: pd.DataFrame
) -> None:
    """Make ``rows`` (lineage columns, ``_reason``, ``_values``) the quarantined rows of ``batch``."""
    if rows.empty and not table_exists(connection, table):
        return
    connection.register("quarantined_rows", rows)
    try:
        connection.execute(f"create schema if not exists {table.split('.')[0]}")
        connection.execute(f"create table if not exists {table} as select * from quarantined_rows limit 0")
        connection.execute(f"delete from {table} where _batch = ?", [batch])
        connection.execute(f"insert into {table} by name select * from quarantined_rows")
    finally:
        connection.unregister("quarantined_rows")


def quarantined_count(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows in quarantine (0 when nothing was ever quarantined)."""
    if not table_exists(connection, table):
        return 0
    return connection.execute(f"select count(*) from {table}").fetchall()[0][0]
