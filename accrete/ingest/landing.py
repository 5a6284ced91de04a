"""Landing files: find a dataset's delivered files, read them, and check them against the spec.

A landing file is accepted whole or not at all. ``read_landing_file`` returns its rows as
strings (raw stays raw: typing is the staging model's job) after checking that staging will
succeed: the header or column count matches the spec, every value parses as its declared
type, categorical values are known, and required columns have values. Any problem is a
``LandingFileError`` naming the file, the column, examples and line numbers.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from accrete.spec import FALSE_TOKENS, TRUE_TOKENS, DatasetSpec

EXAMPLES_SHOWN = 3


class LandingFileError(ValueError):
    """A landing file cannot be ingested; the message says which file and why."""


@dataclass(frozen=True)
class LandingFile:
    """One delivered file: a batch of real rows (a daily dataset's batch is its day)."""

    path: Path
    sha256: str
    batch: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _landing_folder(spec: DatasetSpec, landing_root: Path) -> Path:
    folder = Path(landing_root) / spec.name
    if not folder.is_dir():
        raise LandingFileError(f"{spec.name}: landing folder {folder} does not exist")
    return folder


def batch_of(spec: DatasetSpec, path: Path) -> str:
    """A file's batch id: its day for a daily dataset, else the file name without its extensions."""
    if spec.partitions is None:
        return path.name.split(".")[0]
    prefix, suffix = spec.partitions.file_name.split("{date}")
    return path.name.removeprefix(prefix).removesuffix(suffix)


def find_landing_files(spec: DatasetSpec, landing_root: Path) -> list[LandingFile]:
    """The dataset's files in ``<landing_root>/<name>/`` matching the spec's pattern, sorted by name."""
    folder = _landing_folder(spec, landing_root)
    paths = sorted(path for path in folder.glob(spec.landing_pattern) if path.is_file())
    if not paths:
        raise LandingFileError(f"{spec.name}: no file in {folder} matches {spec.landing_pattern!r}")
    return [LandingFile(path=path, sha256=file_sha256(path), batch=batch_of(spec, path)) for path in paths]


def changed_batches(files: list[LandingFile], seen: dict[str, str]) -> list[LandingFile]:
    """Files whose batch is new, or whose content differs from the hash ``seen`` last time."""
    return [landing_file for landing_file in files if seen.get(landing_file.batch) != landing_file.sha256]


def partition_landing_files(spec: DatasetSpec, landing_root: Path, days: list[str]) -> list[LandingFile]:
    """The landing file of each of ``days`` of a daily dataset; a missing day is an error naming its file."""
    folder = _landing_folder(spec, landing_root)
    paths = {day: folder / spec.partitions.file_for(day) for day in days}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise LandingFileError(
            f"{spec.name}: no landing file for {len(missing)} of the requested days: {', '.join(missing[:3])}"
        )
    return [LandingFile(path=path, sha256=file_sha256(path), batch=day) for day, path in paths.items()]


def _open_text(path: Path):
    """The file as text, gunzipped when it starts with the gzip magic bytes."""
    with path.open("rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt", newline="") if compressed else path.open("r", newline="")


def _read_csv(path: Path, spec: DatasetSpec) -> pd.DataFrame:
    """Rows as strings; every row must have as many fields as the spec has columns."""
    expected = len(spec.columns)
    try:
        with _open_text(path) as handle:
            rows = [row for row in csv.reader(handle, delimiter=spec.format.separator) if row]
    except (OSError, EOFError, UnicodeDecodeError, zlib.error, csv.Error) as error:
        raise LandingFileError(
            f"{path.name}: the file cannot be read (corrupt or wrong format): {error}"
        ) from error
    if not rows:
        raise LandingFileError(f"{path.name}: the file is empty")
    header = [name.strip() for name in rows.pop(0)] if spec.format.header else list(spec.columns)
    ragged = [
        number
        for number, row in enumerate(rows, start=2 if spec.format.header else 1)
        if len(row) != expected
    ]
    if ragged:
        lines = ", ".join(str(line) for line in ragged[:EXAMPLES_SHOWN])
        raise LandingFileError(
            f"{path.name}: expected {expected} columns per row, {len(ragged)} rows differ, e.g. lines {lines}"
        )
    if len(header) != expected:
        raise LandingFileError(f"{path.name}: the header has {len(header)} columns, the spec {expected}")
    return pd.DataFrame(rows, columns=header, dtype=object)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        with duckdb.connect() as connection:
            frame = connection.execute("select * from read_parquet(?)", [str(path)]).df()
    except duckdb.Error as error:
        raise LandingFileError(f"{path.name}: the file cannot be read as Parquet: {error}") from error
    return frame.astype("string").fillna("").astype(object)


def _check_columns(frame: pd.DataFrame, spec: DatasetSpec, name: str) -> None:
    expected = list(spec.columns)
    if not spec.format.header and spec.format.kind == "csv":
        if frame.shape[1] != len(expected) or frame.iloc[:, -1].isna().any():
            raise LandingFileError(
                f"{name}: expected {len(expected)} columns per row, found {frame.shape[1]}"
            )
        return
    found = [str(column).strip() for column in frame.columns]
    missing = [column for column in expected if column not in found]
    unexpected = [column for column in found if column not in expected]
    if missing or unexpected:
        raise LandingFileError(
            f"{name}: header does not match the spec: missing columns {missing}, unexpected columns {unexpected}"
        )


def _examples(values: pd.Series) -> str:
    shown = values.head(EXAMPLES_SHOWN)
    return ", ".join(f"{value!r} (line {line})" for line, value in shown.items())


def _value_problems(column: str, values: pd.Series, spec: DatasetSpec) -> list[str]:
    """Problems of one column, whose missing values are already NA (index = line numbers)."""
    column_spec = spec.columns[column]
    present = values.dropna()
    problems: list[str] = []
    if (
        column in spec.modelled_columns
        and column not in spec.imputation.columns
        and column not in (spec.identifier_columns)
    ):
        missing = values[values.isna()]
        if len(missing):
            lines = ", ".join(str(line) for line in missing.index[:EXAMPLES_SHOWN])
            problems.append(
                f"column '{column}' is required (not in imputation.columns) but {len(missing)} rows "
                f"have no value, e.g. lines {lines}"
            )
    if column_spec.type == "numerical":
        numbers = pd.to_numeric(present, errors="coerce")
        bad = present[numbers.isna()]
        if column_spec.integer:
            bad = pd.concat([bad, present[numbers.notna() & (numbers % 1 != 0)]])
        kind = "an integer" if column_spec.integer else "a number"
        if len(bad):
            problems.append(
                f"column '{column}': {len(bad)} values cannot be read as {kind}: {_examples(bad)}"
            )
    elif column_spec.type == "datetime":
        parsed = pd.to_datetime(present, format=column_spec.datetime_format, errors="coerce")
        bad = present[parsed.isna()]
        if len(bad):
            problems.append(
                f"column '{column}': {len(bad)} values cannot be read as a datetime: {_examples(bad)}"
            )
    elif column_spec.type == "boolean":
        bad = present[~present.str.lower().isin(TRUE_TOKENS + FALSE_TOKENS)]
        if len(bad):
            problems.append(f"column '{column}': {len(bad)} values are not true/false: {_examples(bad)}")
    elif column_spec.type == "categorical" and column_spec.categories is not None:
        canonical = present.replace(column_spec.aliases)
        bad = present[~canonical.isin(column_spec.categories)]
        if len(bad):
            problems.append(
                f"column '{column}': {len(bad)} values are unknown categories (not in the spec): {_examples(bad)}"
            )
    return problems


def read_landing_file(landing_file: LandingFile, spec: DatasetSpec) -> pd.DataFrame:
    """The file's rows as delivered (strings, spec column order), plus a 1-based ``_line`` column.

    Raises LandingFileError, listing every problem found, if staging could not type the file.
    """
    path = landing_file.path
    if not path.is_file():
        raise LandingFileError(f"{path}: landing file not found")
    frame = _read_parquet(path) if spec.format.kind == "parquet" else _read_csv(path, spec)
    _check_columns(frame, spec, path.name)
    frame.columns = [str(column).strip() for column in frame.columns]
    frame = frame[list(spec.columns)]
    if frame.empty:
        raise LandingFileError(f"{path.name}: the file has no rows")
    first_line = 2 if spec.format.header else 1
    frame.index = pd.RangeIndex(first_line, first_line + len(frame))
    missing_tokens = set(spec.format.missing_tokens)
    problems: list[str] = []
    for column in frame.columns:
        values = frame[column].str.strip()
        values = values.mask(values.isin(missing_tokens))
        problems += _value_problems(column, values, spec)
    if problems:
        raise LandingFileError(f"{path.name}: " + "; ".join(problems))
    frame = frame.rename_axis("_line").reset_index()
    return frame
