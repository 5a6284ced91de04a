"""DuckDB warehouse operations used by the Python assets.

Connections are short-lived (DuckDB allows one writer process per file: never hold one
open while dbt runs), and every write is one transaction, so a failure leaves the
warehouse as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd


@contextmanager
def connect(path: str | Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file, closed on exit."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path), read_only=read_only)
    try:
        yield connection
    finally:
        connection.close()


@contextmanager
def transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Commit on success, roll back on any error."""
    connection.execute("begin transaction")
    try:
        yield connection
    except BaseException:
        connection.execute("rollback")
        raise
    connection.execute("commit")


def table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    rows = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return rows[0][0] > 0


def read_table(
    connection: duckdb.DuckDBPyConnection, table: str, columns: list[str] | None = None
) -> pd.DataFrame:
    """A whole table (or some of its columns) as a DataFrame, in a stable row order."""
    selected = ", ".join(columns) if columns else "*"
    return connection.execute(f"select {selected} from {table} order by all").df()


def row_count(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    return connection.execute(f"select count(*) from {table}").fetchall()[0][0]


def replace_table(connection: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Replace ``table`` with ``frame``'s rows in one transaction."""
    schema = table.split(".")[0]
    with transaction(connection):
        connection.execute(f"create schema if not exists {schema}")
        connection.register("incoming_frame", frame)
        connection.execute(f"create or replace table {table} as select * from incoming_frame")
        connection.unregister("incoming_frame")


def column_types(connection: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> DuckDB type, in table order."""
    schema, name = table.split(".")
    rows = connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    return dict(rows)
