"""How a delivered file is laid out: CSV (plain or gzip) or Parquet, its separator, its header.

Only the file's first ``SNIFF_BYTES`` of text are read. The separator is the one of ``SEPARATORS``
that Python's ``csv.Sniffer`` picks (else the most frequent one in the first line), and must split
every sniffed row into the same number of fields, as the landing check requires of every row. The first row is a header when it names
columns rather than holding values: none of its fields is a number, and either it tops a column
of numbers or none of its fields appears again in its column. Quoting is CSV's (``"``, doubled
inside a value), as landing reads it. ``delivered_sql`` reads the whole file in DuckDB, every
value as text under the internal names ``c1``, ``c2``...
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

SNIFF_BYTES = 1 << 16
SEPARATORS = ",;\t|"
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"


class DraftError(ValueError):
    """A file no spec can be drafted from; the message names the file and the problem."""


@dataclass(frozen=True)
class FileLayout:
    """What a landing reader needs to know to read the file, with the reason for each guess."""

    path: Path
    kind: Literal["csv", "parquet"]
    compressed: bool
    separator: str
    header: bool
    headers: tuple[str, ...]
    """The delivered header names (trimmed, as landing compares them); ``column_1``... without a header."""
    reasons: dict[str, str] = field(default_factory=dict)
    """Why, for each of ``separator`` and ``header``."""

    def internal_names(self) -> list[str]:
        """The name of each column in ``delivered_sql``, in file order."""
        return [f"c{position}" for position in range(1, len(self.headers) + 1)]


def _text_sample(path: Path, compressed: bool) -> str:
    """The file's first complete lines (at most SNIFF_BYTES), decoded as landing decodes them."""
    try:
        with gzip.open(path, "rb") if compressed else path.open("rb") as handle:
            data = handle.read(SNIFF_BYTES)
            complete = len(data) < SNIFF_BYTES
    except (OSError, EOFError, zlib.error) as error:
        raise DraftError(f"{path}: the file cannot be read (corrupt gzip?): {error}") from error
    if not complete and b"\n" in data:
        data = data[: data.rindex(b"\n") + 1]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DraftError(f"{path}: not a CSV or Parquet file: not UTF-8 text ({error.reason})") from error
    if "\x00" in text:
        raise DraftError(f"{path}: not a CSV or Parquet file: it holds binary data (NUL bytes)")
    return text


def _separator(path: Path, text: str) -> tuple[str, list[list[str]], str]:
    """The separator, the sniffed rows it splits, and why."""
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=SEPARATORS)
        separator, padded = dialect.delimiter, dialect.skipinitialspace
    except csv.Error:  # no separator splits every line alike: the most frequent one says which line differs
        separator = max(SEPARATORS, key=lines[0].count) if any(map(lines[0].count, SEPARATORS)) else ","
        padded = False
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=separator) if row]
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        first = len(rows[0])
        line, row = next((number, row) for number, row in enumerate(rows, 1) if len(row) != first)
        raise DraftError(
            f"{path}: not a consistent CSV file: row {line} has {len(row)} fields where the first row has "
            f"{first} (separator {separator!r})"
        )
    shown = "tab" if separator == "\t" else repr(separator)
    why = f"{shown} splits each of the {len(rows):,} rows of the first {SNIFF_BYTES // 1024} KiB into {len(rows[0])} fields"
    if padded:
        why += "; values also start with a space, which staging trims"
    return separator, rows, why


def _header(rows: list[list[str]]) -> tuple[bool, str]:
    """Whether the first row names the columns, and why."""
    first = [value.strip() for value in rows[0]]
    number = next((value for value in first if NUMBER.fullmatch(value)), None)
    if number is not None:
        return False, f"the first row holds values, not names: {number!r} is a number"
    rest = rows[1:]
    for position, name in enumerate(first):
        below = [row[position].strip() for row in rest if row[position].strip()]
        if below and sum(bool(NUMBER.fullmatch(value)) for value in below) * 2 >= len(below):
            return True, f"the first row names the columns: {name!r} tops a column of numbers"
    for position, name in enumerate(first):
        if any(row[position].strip() == name for row in rest):
            return False, f"the first row holds values, not names: {name!r} appears again in its column"
    return True, "the first row names the columns: none of its values appears again below it"


def _parquet_layout(path: Path) -> FileLayout:
    try:
        with duckdb.connect() as connection:
            columns = connection.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as error:
        raise DraftError(f"{path}: the file cannot be read as Parquet: {error}") from error
    return FileLayout(
        path=path,
        kind="parquet",
        compressed=False,
        separator=",",
        header=True,
        headers=tuple(str(column[0]).strip() for column in columns),
    )


def read_layout(path: Path) -> FileLayout:
    """The layout of the file at ``path``; a DraftError when it is missing, empty or not CSV/Parquet."""
    path = Path(path)
    if not path.is_file():
        raise DraftError(f"{path}: file not found")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == PARQUET_MAGIC:
        return _parquet_layout(path)
    compressed = magic[:2] == GZIP_MAGIC
    text = _text_sample(path, compressed)
    if not text.strip():
        raise DraftError(f"{path}: the file is empty")
    separator, rows, separator_why = _separator(path, text)
    header, header_why = _header(rows)
    width = len(rows[0])
    headers = rows[0] if header else [f"column_{position}" for position in range(1, width + 1)]
    return FileLayout(
        path=path,
        kind="csv",
        compressed=compressed,
        separator=separator,
        header=header,
        headers=tuple(name.strip() for name in headers),
        reasons={"separator": separator_why, "header": header_why},
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def delivered_sql(layout: FileLayout) -> str:
    """A DuckDB query of every row of the file, each value as text (NULL where a CSV field is empty)."""
    names = layout.internal_names()
    path = _literal(str(layout.path))
    if layout.kind == "parquet":
        columns = ", ".join(f"cast({name} as varchar) as {name}" for name in names)
        return f"select {columns} from read_parquet({path}) as delivered({', '.join(names)})"
    columns = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in names) + "}"
    return (
        f"select * from read_csv({path}, auto_detect = false, delim = {_literal(layout.separator)}, "
        f"quote = '\"', escape = '\"', header = {str(layout.header).lower()}, columns = {columns}, "
        f"compression = '{'gzip' if layout.compressed else 'none'}')"
    )
