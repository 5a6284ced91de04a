"""Safe column names: the key a delivered header gets in every warehouse table.

A spec's column key must be lower_snake_case (``accrete.spec.SAFE_COLUMN_NAME``); the header as
delivered, whatever it looks like, goes in the column's ``source``. A key is never a word DuckDB
reserves (``order``, ``select``, ``end``, ``left``...), so it works in SQL even unquoted, and the
headers of one file never share a key.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from itertools import count

import duckdb

LEADING_DIGIT_PREFIX = "c_"
EMPTY_HEADER_NAME = "unnamed"
KEYWORD_SUFFIX = "_"


@cache
def sql_reserved_words() -> frozenset[str]:
    """The words DuckDB cannot take as a bare column name: its reserved keywords, and the type and
    function keywords that are not also allowed as column names (``left``, ``join``, ``is``...)."""
    with duckdb.connect() as connection:
        rows = connection.execute(
            "select keyword_name, list(keyword_category) from duckdb_keywords() group by keyword_name"
        ).fetchall()
    return frozenset(
        word
        for word, categories in rows
        if "reserved" in categories or ("type_function" in categories and "column_name" not in categories)
    )


def safe_column_name(header: str) -> str:
    """``header`` as a safe column key: lowercase (casefolded), accents stripped, every run of other characters
    one ``_`` (none at either end), a leading digit prefixed, a SQL reserved word suffixed with ``_``
    (``default-payment-next-month`` -> ``default_payment_next_month``, ``Prénom`` -> ``prenom``,
    ``2nd visit`` -> ``c_2nd_visit``, ``Order`` -> ``order_``)."""
    decomposed = unicodedata.normalize("NFKD", header.casefold())
    unaccented = "".join(character for character in decomposed if not unicodedata.combining(character))
    name = re.sub(r"[^a-z0-9]+", "_", unaccented).strip("_") or EMPTY_HEADER_NAME
    if name[0].isdigit():
        return LEADING_DIGIT_PREFIX + name
    return name + KEYWORD_SUFFIX if name in sql_reserved_words() else name


def safe_column_names(headers: list[str]) -> dict[str, str]:
    """Header -> column key for every header of one file, in order. Headers whose safe names collide
    are numbered after the first (``Age``, ``AGE`` -> ``age``, ``age_2``), never taking a name another
    header has. Headers are compared as landing reads them (trimmed): a header named twice is a
    ``ValueError`` naming it and its positions, since nothing could tell its columns apart."""
    positions: dict[str, list[int]] = {}
    for position, header in enumerate(headers, start=1):
        positions.setdefault(header.strip(), []).append(position)
    repeated = {header: places for header, places in positions.items() if len(places) > 1}
    if repeated:
        listed = "; ".join(
            f"{header!r} at positions {', '.join(map(str, places))}" for header, places in repeated.items()
        )
        raise ValueError(f"the header names a column more than once: {listed}")
    wanted = [safe_column_name(header) for header in headers]
    keys: dict[str, str] = {}
    for header, name in zip(headers, wanted, strict=True):
        taken = set(keys.values())
        if name in taken:
            stem = name.rstrip(KEYWORD_SUFFIX)
            name = next(
                f"{stem}_{number}"
                for number in count(2)
                if f"{stem}_{number}" not in taken and f"{stem}_{number}" not in wanted
            )
        keys[header] = name
    return keys
