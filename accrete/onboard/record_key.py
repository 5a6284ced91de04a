"""A record-key suggestion: a small set of columns whose values differ in every row.

A record key makes a re-delivered record replace the earlier one, so a set that is unique only
by chance would silently drop real rows from later files. The search therefore looks only at
columns that can name a record (categories, booleans, datetimes and integer columns of at most
``KEY_MAX_DISTINCT`` values, never measurements, identifiers or columns with missing values) and
at most ``MAX_KEY_COLUMNS`` of them: greedily, each step adding the column that tells most rows
apart, on the sample; then drops the columns the others make redundant and checks the set on
the whole file. The draft writes it as a suggestion for the user to accept, never as the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

MAX_KEY_COLUMNS = 3
KEY_TYPES = ("categorical", "boolean", "datetime")
"""Column types that can name a record; integer columns can too, when they have few values."""
KEY_MAX_DISTINCT = 1_000


@dataclass(frozen=True)
class RecordKeySuggestion:
    """Column keys that are unique together in every row (empty when none were found), and why."""

    columns: tuple[str, ...]
    reason: str


def _distinct_rows(connection: duckdb.DuckDBPyConnection, view: str, sets: list[list[str]]) -> list[int]:
    counts = ", ".join(f"count(distinct row({', '.join(names)}))" for names in sets)
    return list(connection.execute(f"select {counts} from {view}").fetchall()[0])


def _greedy_unique_set(
    connection: duckdb.DuckDBPyConnection, view: str, candidates: list[str], rows: int
) -> list[str]:
    chosen: list[str] = []
    while len(chosen) < MAX_KEY_COLUMNS:
        remaining = [name for name in candidates if name not in chosen]
        if not remaining:
            return []
        counts = _distinct_rows(connection, view, [[*chosen, name] for name in remaining])
        best = max(range(len(remaining)), key=lambda index: counts[index])
        chosen.append(remaining[best])
        if counts[best] == rows:
            for name in list(chosen):
                rest = [other for other in chosen if other != name]
                if rest and _distinct_rows(connection, view, [rest])[0] == rows:
                    chosen = rest
            return chosen
    return []


def suggest_record_key(
    connection: duckdb.DuckDBPyConnection,
    sample_view: str,
    whole_view: str,
    candidates: Mapping[str, str],
    sample_rows: int,
    whole_rows: int,
) -> RecordKeySuggestion:
    """The suggestion among ``candidates`` (internal column name -> column key) of the two views."""
    found = (
        _greedy_unique_set(connection, sample_view, list(candidates), sample_rows) if sample_rows > 1 else []
    )
    keys = tuple(key for name, key in candidates.items() if name in found)  # in file order
    listed = f"[{', '.join(keys)}]"
    if (
        found
        and whole_rows > sample_rows
        and _distinct_rows(connection, whole_view, [found])[0] != whole_rows
    ):
        return RecordKeySuggestion(
            (), f"{listed} is unique in the sample but not in the whole file: no key found"
        )
    if not found:
        return RecordKeySuggestion(
            (),
            f"no set of up to {MAX_KEY_COLUMNS} columns that could name a record is unique in every row: "
            "rows are told apart only by measurements, or repeat",
        )
    return RecordKeySuggestion(
        keys,
        f"suggestion: {listed} differs in every one of the {whole_rows:,} rows. A record key makes a "
        f"re-delivered record replace the earlier one: set record_key: {listed} only if these columns "
        "identify a record",
    )
