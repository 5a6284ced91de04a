"""DuckDB warehouse operations used by the Python assets.

Connections are short-lived (DuckDB allows one writer process per file, or readers, never
both: never hold one open while dbt runs), opening one waits a bounded time for another
process's hold to end, and every write is one transaction, so a failure leaves the warehouse
as it was.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd


def quote_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier: a column may be called ``order``, ``end`` or ``select``."""
    return '"' + name.replace('"', '""') + '"'


LOCK_WAIT_SECONDS = 300.0
"""How long a step waits for another process to let go of the warehouse file before it fails."""
_FIRST_RETRY_SECONDS, _LONGEST_RETRY_SECONDS = 0.05, 2.0


class WarehouseBusyError(RuntimeError):
    """Another process held the warehouse file for longer than the wait allows."""


def _is_lock_conflict(error: duckdb.Error) -> bool:
    return isinstance(error, duckdb.IOException) and "Could not set lock on file" in str(error)


def _open(path: Path, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting with growing pauses while another process holds a conflicting lock.

    DuckDB lets one process write a file, or any number read it, never both: a reader outside the
    ``duckdb`` pool (training, the collapse monitor) meets the pool's writer here, and one of the
    two waits for the other's bounded hold to end.
    """
    deadline = time.monotonic() + wait_seconds
    pause = _FIRST_RETRY_SECONDS
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as error:
            if not _is_lock_conflict(error):
                raise
            if time.monotonic() + pause > deadline:
                raise WarehouseBusyError(
                    f"the warehouse {path} was still held by another process after {wait_seconds:g} s "
                    f"({'reading' if read_only else 'writing'}): {error}"
                ) from error
            time.sleep(pause)
            pause = min(2 * pause, _LONGEST_RETRY_SECONDS)


@contextmanager
def connect(
    path: str | Path, read_only: bool = False, wait_seconds: float = LOCK_WAIT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file, closed on exit; waits up to ``wait_seconds`` for a lock."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection = _open(Path(path), read_only, wait_seconds)
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
    selected = ", ".join(map(quote_identifier, columns)) if columns else "*"
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
