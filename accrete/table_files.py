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

from accrete.spec import MISSING_FLAG_SUFFIX, ColumnSpec, DatasetSpec
from accrete.transform.dbt_models import column_meta
from accrete.value_casts import read_values


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


KINDS = {"numerical": "a number", "boolean": "true/false", "datetime": "datetimes"}
MISSING_FLAG = ColumnSpec(type="boolean")
"""A ``<column>_was_missing`` flag, read as a boolean column."""


def _typed(text: pd.DataFrame, spec: DatasetSpec, path: Path) -> pd.DataFrame:
    """The columns of ``text`` typed as staging types them (``accrete.value_casts``), a datetime also
    in ISO 8601 when the spec gives a format (as a DataFrame writes it); TableFileError names what
    does not parse."""
    columns = {name: spec.columns.get(name, MISSING_FLAG) for name in text.columns}
    present, typed = read_values(
        text, spec, metas={name: column_meta(column) for name, column in columns.items()}
    )
    formatted = [name for name, column in columns.items() if column.datetime_format]
    if formatted:
        _, iso = read_values(text[formatted], spec, metas={name: {"type": "datetime"} for name in formatted})
        typed[formatted] = typed[formatted].fillna(iso)
    for name in text.columns:
        bad = present[name].notna() & typed[name].isna()
        if bad.any():
            kind = "an integer" if columns[name].integer else KINDS.get(columns[name].type, "a valid value")
            raise TableFileError(
                f"{path}, column {name!r}: {bad.sum():,} value(s) are not {kind}, e.g. {_examples(present[name][bad])}"
            )
    return typed


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
    typed = _typed(frame[[name for name in schema.names if name in needed]], spec, path)
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
