"""A user's table file (CSV or Parquet) read into the training columns of a dataset spec.

What the command line validates or synthesizes from: the spec's columns, read as staging reads
a landing file (values trimmed, the spec's missing-value tokens as missing, category aliases
mapped, datetimes in the spec's format or ISO 8601) and typed as the warehouse types them, with
the dtypes a frame read from the warehouse has. A file the spec cannot describe (a
missing column, a value that does not parse as its column's type) is refused with a message
naming the file, the column and example values. A file without the spec's ``<column>_was_missing``
flags gets them as the clean step makes them: the flag says the value was missing, and the value
is filled with the reference rows' median (numbers) or mode (categories).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from accrete.spec import FALSE_TOKENS, MISSING_FLAG_SUFFIX, TRUE_TOKENS, DatasetSpec
from accrete.table_schema import ModelColumn


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _read_parquet(path: Path) -> pd.DataFrame:
    with duckdb.connect() as connection:  # DuckDB reads Parquet itself: no pyarrow needed
        return connection.execute("select * from read_parquet(?)", [str(path)]).df()


READERS = {".csv": _read_csv, ".parquet": _read_parquet}


class TableFileError(ValueError):
    """A table file that cannot be read as the spec describes it."""


def _examples(values: pd.Series) -> str:
    return ", ".join(repr(value) for value in values.drop_duplicates().head(3))


def _datetimes(text: pd.Series, datetime_format: str | None) -> pd.Series:
    """Datetimes in the spec's format or in ISO 8601 (as a DataFrame writes them), as naive UTC."""
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    remaining = text.notna()
    formats = [datetime_format] if datetime_format else []
    for fmt in [*formats, "ISO8601"]:
        values = pd.to_datetime(text[remaining], format=fmt, errors="coerce", utc=True)
        parsed[values.index] = values.dt.tz_localize(None).astype("datetime64[us]")
        remaining &= parsed.isna()
    return parsed


def _typed(text: pd.Series, column: ModelColumn, spec: DatasetSpec, where: str) -> pd.Series:
    """The column's text (missing tokens already NA) as its type; TableFileError names what does not parse."""
    present = text.notna()
    if column.kind == "numerical":
        typed = pd.to_numeric(text, errors="coerce")
        bad = present & typed.isna()
        if not bad.any() and column.integer:
            bad = present & (typed.round() != typed)
        kind = "an integer" if column.integer else "a number"
    elif column.kind == "boolean":
        lowered = text.str.lower()
        typed = pd.Series(pd.NA, index=text.index, dtype="boolean")
        typed[lowered.isin(TRUE_TOKENS)] = True
        typed[lowered.isin(FALSE_TOKENS)] = False
        bad, kind = present & typed.isna(), "true/false"
    elif column.kind == "datetime":
        typed = _datetimes(text, spec.columns[column.name].datetime_format)
        bad, kind = present & typed.isna(), "datetimes"
    else:
        return text.replace(spec.columns[column.name].aliases or {})
    if bad.any():
        raise TableFileError(f"{where}: {bad.sum():,} value(s) are not {kind}, e.g. {_examples(text[bad])}")
    return typed.astype("Int64" if column.kind == "numerical" and column.integer else typed.dtype)


def read_file(path: Path) -> pd.DataFrame:
    """The file's rows, every value as text."""
    path = Path(path)
    if not path.is_file():
        raise TableFileError(f"{path}: file not found")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise TableFileError(f"{path}: unknown file type {path.suffix!r}; use {' or '.join(READERS)}")
    try:
        frame = reader(path)
    except Exception as error:  # whatever the reader raises, the file is the problem: name it
        raise TableFileError(f"{path}: cannot be read: {error}") from error
    if frame.empty:
        raise TableFileError(f"{path}: the file has no rows")
    return frame.astype("string")


def read_training_table(
    path: Path, spec: DatasetSpec, reference: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The spec's training columns of ``path``, typed, and the file's identifier columns (as text).

    Missing-value flags absent from the file are derived; the values they flag are filled from
    ``reference`` (the real training rows; the file itself when None).
    """
    frame = read_file(path)
    schema = spec.training_schema
    flags = set(spec.missing_flags)
    derive_flags = not flags & set(frame.columns)
    needed = [name for name in schema.names if not (derive_flags and name in flags)]
    missing = [name for name in needed if name not in frame.columns]
    if missing:
        raise TableFileError(f"{path}: column(s) {', '.join(missing)} of the {spec.name} spec are missing")
    missing_tokens = list(spec.format.missing_tokens)
    typed = pd.DataFrame(
        {
            column.name: _typed(
                frame[column.name].str.strip().mask(lambda text: text.isin(missing_tokens)),
                column,
                spec,
                f"{path}, column {column.name!r}",
            )
            for column in schema.columns
            if column.name in needed
        }
    )
    if derive_flags:
        filled_from = typed if reference is None else reference
        for name in spec.imputation.columns:
            typed[f"{name}{MISSING_FLAG_SUFFIX}"] = typed[name].isna().astype("boolean")
            if typed[name].isna().any():
                source = filled_from[name].dropna()
                if source.empty:
                    raise TableFileError(
                        f"{path}, column {name!r}: every value is missing; nothing to impute from"
                    )
                numeric = spec.columns[name].type == "numerical"
                fill = source.median() if numeric else source.mode().iloc[0]
                if numeric and spec.columns[name].integer:
                    fill = round(fill)
                typed[name] = typed[name].fillna(fill)
    identifiers = frame[[name for name in spec.identifier_columns if name in frame.columns]].astype("string")
    return as_warehouse_frame(typed[schema.names]), identifiers


def as_warehouse_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the dtypes a frame read from the warehouse has, so every gate sees the same types."""
    with duckdb.connect() as connection:
        connection.register("typed_frame", frame)
        return connection.execute("select * from typed_frame").df()
