"""What every column of a table holds, measured in DuckDB: the evidence each guess is drawn from.

A value is read as staging reads it: trimmed (DuckDB's ``trim``), missing when it is one of the
missing-value tokens, a number when DuckDB casts it to a finite double, a whole number when that
double is integral and fits a BIGINT, true or false when it is one of the spec's boolean tokens,
a datetime when DuckDB's ``strptime`` parses it with the format. The same queries measure the
bounded sample and the whole file, so a guess and its check cannot disagree on what a value is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb

from accrete.spec import FALSE_TOKENS, TRUE_TOKENS

MISSING_TOKEN_CANDIDATES = ("", "?", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "#N/A", "-")
"""Values that mean "no value" in common exports; a draft lists those the file holds."""
TOP_VALUES = 51
"""How many of a column's most frequent values a profile keeps (categories, and examples)."""
BIGINT_LIMIT = 9.2e18


@dataclass(frozen=True)
class ColumnProfile:
    """Counts over one column's values; ``present`` excludes the missing ones."""

    rows: int
    present: int = 0
    distinct: int = 0
    numbers: int = 0
    whole_numbers: int = 0
    minimum: float | None = None
    maximum: float | None = None
    booleans: int = 0
    true_tokens: tuple[str, ...] = ()
    false_tokens: tuple[str, ...] = ()
    top_values: tuple[tuple[str, int], ...] = ()
    """(value, rows), most frequent first, at most TOP_VALUES."""
    examples: dict[str, str] = field(default_factory=dict)
    """A value for each of ``not_a_number``, ``not_whole`` (a fraction, or too large for a BIGINT),
    ``leading_zero`` (``007``) and ``not_boolean`` that occurs (the smallest such value)."""
    datetime_parses: dict[str, int] = field(default_factory=dict)
    """Format -> how many values it parses."""

    @property
    def missing(self) -> int:
        return self.rows - self.present

    @property
    def unique_per_row(self) -> bool:
        return self.present == self.rows and self.distinct == self.rows


def _literals(values: Sequence[str]) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def missing_token_counts(
    connection: duckdb.DuckDBPyConnection, relation: str, columns: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Token -> column -> rows, for each MISSING_TOKEN_CANDIDATES token a column holds as a whole value."""
    trimmed = ", ".join(f"trim(coalesce({name}, '')) as {name}" for name in columns)
    rows = connection.execute(
        f"select name, value, count(*) from (unpivot (select {trimmed} from {relation}) on columns(*) "
        f"into name name value value) where value in ({_literals(MISSING_TOKEN_CANDIDATES)}) group by all"
    ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for name, token, count in rows:
        counts.setdefault(token, {})[name] = count
    return counts


def present_values_view(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    columns: Sequence[str],
    missing_tokens: Sequence[str],
) -> str:
    """A view of ``relation`` with every value trimmed and missing values NULL; returns its name."""
    view = f"{relation}_present"
    tokens = _literals(missing_tokens)
    cleaned = ", ".join(
        f"case when trim(coalesce({name}, '')) in ({tokens}) then null else trim({name}) end as {name}"
        for name in columns
    )
    connection.execute(f"create or replace temp view {view} as select {cleaned} from {relation}")
    return view


def _statistics(connection: duckdb.DuckDBPyConnection, view: str) -> dict[str, dict]:
    booleans = _literals(TRUE_TOKENS + FALSE_TOKENS)
    rows = connection.execute(
        f"""
        with present as (unpivot {view} on columns(*) into name name value value),
        typed as (select name, value, try_cast(value as double) as number from present)
        select
            name,
            count(*),
            count(distinct value),
            count(*) filter (where isfinite(number)),
            count(*) filter (where isfinite(number) and number = round(number) and abs(number) < {BIGINT_LIMIT}),
            min(number) filter (where isfinite(number)),
            max(number) filter (where isfinite(number)),
            count(*) filter (where lower(value) in ({booleans})),
            list(distinct lower(value)) filter (where lower(value) in ({_literals(TRUE_TOKENS)})),
            list(distinct lower(value)) filter (where lower(value) in ({_literals(FALSE_TOKENS)})),
            min(value) filter (where not coalesce(isfinite(number), false)),
            min(value) filter (where isfinite(number) and (number <> round(number) or abs(number) >= {BIGINT_LIMIT})),
            min(value) filter (where regexp_matches(value, '^[+-]?0[0-9]')),
            min(value) filter (where lower(value) not in ({booleans}))
        from typed
        group by name
        """
    ).fetchall()
    statistics = {}
    for name, *values in rows:
        (present, distinct, numbers, whole, minimum, maximum, boolean_count, trues, falses) = values[:9]
        example_names = ("not_a_number", "not_whole", "leading_zero", "not_boolean")
        statistics[name] = {
            "present": present,
            "distinct": distinct,
            "numbers": numbers,
            "whole_numbers": whole,
            "minimum": minimum,
            "maximum": maximum,
            "booleans": boolean_count,
            "true_tokens": tuple(sorted(trues or ())),
            "false_tokens": tuple(sorted(falses or ())),
            "examples": {key: value for key, value in zip(example_names, values[9:], strict=True) if value},
        }
    return statistics


def _top_values(connection: duckdb.DuckDBPyConnection, view: str) -> dict[str, tuple[tuple[str, int], ...]]:
    rows = connection.execute(
        f"""
        select name, value, count(*) as rows
        from (unpivot {view} on columns(*) into name name value value)
        group by name, value
        qualify row_number() over (partition by name order by rows desc, value) <= {TOP_VALUES}
        order by name, rows desc, value
        """
    ).fetchall()
    top: dict[str, list[tuple[str, int]]] = {}
    for name, value, count in rows:
        top.setdefault(name, []).append((value, count))
    return {name: tuple(values) for name, values in top.items()}


def _datetime_parses(
    connection: duckdb.DuckDBPyConnection, view: str, formats: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, int]]:
    pairs = [(name, fmt) for name, column_formats in formats.items() for fmt in column_formats]
    if not pairs:
        return {}
    counts = connection.execute(
        "select "
        + ", ".join(f"count(try_strptime({name}, {_literals([fmt])}))" for name, fmt in pairs)
        + f" from {view}"
    ).fetchall()[0]
    parses: dict[str, dict[str, int]] = {}
    for (name, fmt), count in zip(pairs, counts, strict=True):
        parses.setdefault(name, {})[fmt] = count
    return parses


def profile_columns(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    columns: Sequence[str],
    missing_tokens: Sequence[str],
    datetime_formats: Mapping[str, Sequence[str]],
) -> dict[str, ColumnProfile]:
    """A profile of each of ``columns`` of ``relation``; ``datetime_formats`` are tried on the columns
    they name wherever some value is not a number (numbers are never taken for datetimes)."""
    view = present_values_view(connection, relation, columns, missing_tokens)
    rows = connection.execute(f"select count(*) from {relation}").fetchall()[0][0]
    statistics = _statistics(connection, view)
    top = _top_values(connection, view)
    textual = {
        name: formats
        for name, formats in datetime_formats.items()
        if name in statistics and statistics[name]["numbers"] < statistics[name]["present"]
    }
    parses = _datetime_parses(connection, view, textual)
    return {
        name: ColumnProfile(
            rows=rows,
            **statistics.get(name, {}),
            top_values=top.get(name, ()),
            datetime_parses=parses.get(name, {}),
        )
        for name in columns
    }
