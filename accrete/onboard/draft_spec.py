"""A first dataset spec drafted from one delivered file: guessed on a sample, checked on the whole file.

The file's layout comes from its first bytes (``file_layout``). Every column is guessed from its
first ``SAMPLE_ROWS`` rows: the missing-value tokens the file holds, each column's type, integer
flag, bounds, categories, datetime format, and whether it identifies people (``column_guess``,
``column_roles``). The whole file is then measured by the same DuckDB queries and every column
guessed again from it, the identifier hints and datetime formats the sample found carried over;
what the whole file changed is recorded on the column: bounds widened, categories added, a type
that a later value breaks. A record key is suggested (``record_key``), missing values make a
column imputable, and columns named like protected characteristics are candidate sensitive
attributes; the target is left to the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from accrete.column_names import safe_column_names
from accrete.onboard.column_guess import DATETIME_FORMATS, ColumnGuess, guess_column, rows_text, shown
from accrete.onboard.column_profile import (
    MISSING_TOKEN_CANDIDATES,
    ColumnProfile,
    missing_token_counts,
    present_values_view,
    profile_columns,
)
from accrete.onboard.column_roles import identifier_by_name, identifier_by_values, sensitive_by_name
from accrete.onboard.file_layout import DraftError, FileLayout, delivered_sql, read_layout
from accrete.onboard.record_key import KEY_MAX_DISTINCT, KEY_TYPES, RecordKeySuggestion, suggest_record_key

SAMPLE_ROWS = 10_000
CATEGORIES_SHOWN = 10
DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class DraftColumn:
    """One drafted column: its key, its delivered header where that differs, the guess, and what the
    whole file changed in the sample's guess."""

    key: str
    source: str | None
    guess: ColumnGuess
    missing: int
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpecDraft:
    """Everything the draft says about a file, with the reason for each guess."""

    name: str
    layout: FileLayout
    rows: int
    sampled_rows: int
    missing_tokens: dict[str, str]
    """Token -> why it is listed."""
    columns: tuple[DraftColumn, ...]
    record_key: RecordKeySuggestion
    sensitive_candidates: dict[str, str]
    """Column key -> the word of its name that names a protected characteristic."""
    format_changes: tuple[str, ...] = ()

    @property
    def imputation(self) -> list[str]:
        """Modelled columns with missing values: filled and flagged by the clean step."""
        return [
            column.key
            for column in self.columns
            if column.missing and column.guess.type != "identifier" and column.missing < self.rows
        ]

    @property
    def changes(self) -> list[str]:
        """What the whole file changed in the sample's guesses, each naming its column."""
        return [*self.format_changes, *(f"{c.key}: {change}" for c in self.columns for change in c.changes)]

    @property
    def landing_pattern(self) -> str:
        """Files named like this one: ``*.csv.gz`` for ``UCI_Credit_Card.csv.gz``."""
        suffixes = self.layout.path.suffixes
        kept = suffixes[-2:] if suffixes and suffixes[-1].lower() == ".gz" else suffixes[-1:]
        return "*" + "".join(kept)

    @property
    def delivered_by_day(self) -> bool:
        """The file is named after a day (``2013-01-01.csv``): perhaps one file arrives per day."""
        return bool(DAY_FILE.fullmatch(self.layout.path.name.split(".")[0]))


def _missing_tokens(counts: dict[str, dict[str, int]], keys: dict[str, str]) -> dict[str, str]:
    tokens = {"": "an empty field is always missing"}
    for token in MISSING_TOKEN_CANDIDATES:
        if token and token in counts:
            columns = counts[token]
            listed = ", ".join(key for internal, key in keys.items() if internal in columns)
            tokens[token] = f"{sum(columns.values()):,} values in {listed}"
    return tokens


def _identifier_hint(key: str, profile: ColumnProfile) -> str | None:
    by_name = identifier_by_name(key)
    if by_name or not profile.present or profile.numbers == profile.present:
        return by_name
    values = [value for value, _ in profile.top_values]
    return identifier_by_values(values, profile.distinct / profile.present)


def _category_changes(sample: ColumnGuess, final: ColumnGuess, profile: ColumnProfile) -> list[str]:
    before, after = sample.entry.get("categories"), final.entry.get("categories")
    if before and after:
        added = [value for value in after if value not in before]
        if added:
            listed = ", ".join(map(repr, added[:CATEGORIES_SHOWN])) + (
                " ..." if len(added) > CATEGORIES_SHOWN else ""
            )
            return [f"categories not in the sample added: {listed}"]
    elif before:
        return [
            f"{profile.distinct:,} distinct values in the whole file: too many to list, categories left open"
        ]
    elif after:
        return ["categories listed: the whole file repeats each of its values"]
    return []


def _changes(
    sample: ColumnGuess, final: ColumnGuess, before: ColumnProfile, after: ColumnProfile
) -> list[str]:
    """What the whole file changed in the sample's guess of one column."""
    changes = []
    if sample.type != final.type:
        changes.append(
            f"{sample.type} in the sample, {final.type} in the whole file ({'; '.join(final.reasons)})"
        )
    elif final.type == "numerical":
        if sample.entry.get("integer") and not final.entry.get("integer"):
            changes.append(f"not integer in the whole file (e.g. {after.examples.get('not_whole')!r})")
        for bound, wider in (("min", min), ("max", max)):
            if wider(sample.entry[bound], final.entry[bound]) != sample.entry[bound]:
                changes.append(
                    f"{bound} widened from {shown(sample.entry[bound])} to {shown(final.entry[bound])} "
                    "by rows beyond the sample"
                )
    elif final.type == "categorical":
        changes += _category_changes(sample, final, after)
    elif final.type == "datetime" and sample.entry != final.entry:
        changes.append(
            f"datetime format {final.entry['datetime_format']!r}: the whole file rules out the others"
        )
    if final.type != "identifier" and after.missing and not before.missing:
        changes.append(
            f"{rows_text(after.missing)} beyond the sample without a value: added to imputation.columns"
        )
    return changes


def _key_candidates(columns: dict[str, DraftColumn], profiles: dict[str, ColumnProfile]) -> dict[str, str]:
    """Internal name -> key of the columns that could name a record (``record_key``)."""
    return {
        name: column.key
        for name, column in columns.items()
        if not column.missing
        and (
            column.guess.type in KEY_TYPES
            or (column.guess.entry.get("integer") and profiles[name].distinct <= KEY_MAX_DISTINCT)
        )
    }


def _read(connection: duckdb.DuckDBPyConnection, layout: FileLayout, sample_rows: int) -> int:
    """Register the whole file as ``delivered`` and its first rows as ``sample``; the sample's rows."""
    connection.execute(f"create temp view delivered as {delivered_sql(layout)}")
    connection.execute(f"create temp table sample as select * from delivered limit {sample_rows}")
    sampled = connection.execute("select count(*) from sample").fetchall()[0][0]
    if not sampled:
        header = layout.kind == "csv" and layout.header
        raise DraftError(f"{layout.path}: the file has {'a header but ' if header else ''}no rows")
    return sampled


@dataclass(frozen=True)
class _Measured:
    """One relation's missing-value tokens, column profiles and guesses, by internal column name."""

    tokens: dict[str, str]
    profiles: dict[str, ColumnProfile]
    guesses: dict[str, ColumnGuess]


def _measure(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    keys: dict[str, str],
    hints: dict[str, str | None] | None,
    formats: dict[str, list[str]],
) -> tuple[_Measured, dict[str, str | None]]:
    """Guesses from ``relation``; ``hints`` None: find the identifier hints in it (the sample)."""
    names = list(keys)
    tokens = _missing_tokens(missing_token_counts(connection, relation, names), keys)
    profiles = profile_columns(connection, relation, names, list(tokens), formats)
    if hints is None:
        hints = {internal: _identifier_hint(keys[internal], profiles[internal]) for internal in names}
    guesses = {
        internal: guess_column(profiles[internal], hints[internal], formats.get(internal, ()))
        for internal in names
    }
    return _Measured(tokens, profiles, guesses), hints


def _parsing_formats(sample: _Measured) -> dict[str, list[str]]:
    """The formats that parse every sampled value of each datetime column: the whole file picks among them."""
    return {
        internal: [fmt for fmt in DATETIME_FORMATS if profile.datetime_parses.get(fmt) == profile.present]
        for internal, profile in sample.profiles.items()
        if sample.guesses[internal].type == "datetime"
    }


def _columns(
    layout: FileLayout, keys: dict[str, str], sample: _Measured, whole: _Measured
) -> dict[str, DraftColumn]:
    columns = {}
    for internal, header in zip(keys, layout.headers, strict=True):
        key, final = keys[internal], whole.guesses[internal]
        columns[internal] = DraftColumn(
            key=key,
            source=header if layout.header and header != key else None,
            guess=final,
            missing=whole.profiles[internal].missing,
            changes=tuple(
                _changes(sample.guesses[internal], final, sample.profiles[internal], whole.profiles[internal])
            ),
        )
    return columns


def draft_spec(path: Path, name: str, sample_rows: int = SAMPLE_ROWS) -> SpecDraft:
    """The draft for dataset ``name`` from the file at ``path``; a DraftError names a file that cannot be read."""
    layout = read_layout(Path(path))
    try:
        headers = safe_column_names(list(layout.headers))
    except ValueError as error:
        raise DraftError(f"{layout.path}: {error}") from None
    keys = dict(zip(layout.internal_names(), headers.values(), strict=True))
    with duckdb.connect() as connection:
        connection.execute("set enable_progress_bar = false")
        try:
            sampled = _read(connection, layout, sample_rows)
            every_format = {internal: list(DATETIME_FORMATS) for internal in keys}
            sample, hints = _measure(connection, "sample", keys, None, every_format)
            whole_is_sample = sampled < sample_rows
            relation = "sample" if whole_is_sample else "delivered"
            whole = (
                sample
                if whole_is_sample
                else _measure(connection, relation, keys, hints, _parsing_formats(sample))[0]
            )
            columns = _columns(layout, keys, sample, whole)
            rows = whole.profiles[next(iter(keys))].rows
            record_key = suggest_record_key(
                connection,
                present_values_view(connection, "sample", list(keys), list(whole.tokens)),
                present_values_view(connection, relation, list(keys), list(whole.tokens)),
                _key_candidates(columns, whole.profiles),
                sampled,
                rows,
            )
        except duckdb.Error as error:
            problem = "; ".join(
                line.strip() for line in str(error).split("Possible fixes")[0].splitlines() if line.strip()
            )
            raise DraftError(f"{layout.path}: the file cannot be read as it began: {problem}") from error
    return SpecDraft(
        name=name,
        layout=layout,
        rows=rows,
        sampled_rows=sampled,
        missing_tokens=whole.tokens,
        columns=tuple(columns.values()),
        record_key=record_key,
        sensitive_candidates={
            column.key: word
            for column in columns.values()
            if column.guess.type != "identifier"
            and column.missing < rows
            and (word := sensitive_by_name(column.key))
        },
        format_changes=tuple(
            f"missing-value token {token!r} appears beyond the sample ({why}): added to format.missing_tokens"
            for token, why in whole.tokens.items()
            if token not in sample.tokens
        ),
    )
