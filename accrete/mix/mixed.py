"""Mixing: accumulated real rows plus synthetic rows, never synthetic rows instead of real ones.

Replacing real data with synthetic data, generation after generation, makes models
collapse; adding synthetic rows beside an ever-growing real table keeps the error
bounded. Every generation that passes the gates is kept; the mixed table takes rows from
all of them in turn, capped so synthetic rows are at most ``max_share`` of it.
"""

from __future__ import annotations

import math

import duckdb

from accrete.warehouse import quote_identifier, row_count


def synthetic_rows_allowed(real_rows: int, synthetic_rows: int, max_share: float) -> int:
    """How many synthetic rows may join ``real_rows`` real ones with synthetic share <= ``max_share``."""
    if not 0.0 <= max_share < 1.0:
        raise ValueError(f"max_synthetic_share must be in [0, 1), got {max_share}")
    if real_rows < 0 or synthetic_rows < 0:
        raise ValueError("row counts cannot be negative")
    cap = math.floor(max_share * real_rows / (1.0 - max_share) + 1e-9)
    return min(synthetic_rows, cap)


def _column_types(connection: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return connection.execute(f"select column_name, column_type from (describe {table})").fetchall()


def keep_generation(
    connection: duckdb.DuckDBPyConnection, synthetic_table: str, generations_table: str
) -> int:
    """Add the validated rows of ``synthetic_table`` to ``generations_table`` (replacing an earlier copy
    of the same generator version, so a re-run never duplicates) and return how many rows it holds.

    A column that a changed spec added is added to the kept generations too (null in earlier ones)."""
    connection.execute(f"create table if not exists {generations_table} as from {synthetic_table} limit 0")
    kept = {name.lower() for name, _ in _column_types(connection, generations_table)}  # case-insensitive
    for name, column_type in _column_types(connection, synthetic_table):
        if name.lower() not in kept:
            connection.execute(
                f"alter table {generations_table} add column {quote_identifier(name)} {column_type}"
            )
    connection.execute(
        f"delete from {generations_table} "
        f"where _generator_version in (select distinct _generator_version from {synthetic_table})"
    )
    connection.execute(f"insert into {generations_table} by name from {synthetic_table}")
    return row_count(connection, generations_table)


def mixed_table_sql(real_table: str, synthetic_table: str, columns: list[str], synthetic_limit: int) -> str:
    """SELECT of the mixed table: every real row, then ``synthetic_limit`` synthetic rows taken from
    every generation in turn, each row tagged with its provenance."""
    selected = ", ".join(map(quote_identifier, columns))
    return f"""
        select 'real' as _source, _batch as _real_partition, _row_id as _real_row_id,
               null::varchar as _generator_version, _run_id, {selected}
        from {real_table}
        union all
        select * from (
            select _source, _real_partition, _real_row_id, _generator_version, _run_id, {selected}
            from {synthetic_table}
            order by _synthetic_row, _generator_version
            limit {int(synthetic_limit)}
        )
    """
