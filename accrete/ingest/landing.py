"""Landing files: find a dataset's delivered files, read them, and check them against the spec.

A landing file is accepted whole or not at all. ``read_landing_file`` returns its rows as
strings (raw stays raw: typing is the staging model's job) after checking that staging will
succeed: the header or column count matches the spec, and every value passes the value checks
(``accrete.ingest.value_checks``: read by staging's own casting rule, a known category, within
its range, present when required, no column empty unless declared so). Any problem is a
``LandingFileError`` naming the file, the column, examples and line numbers; under the spec's
``on_invalid: quarantine`` the rows with a value problem are set aside instead, with the reason.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from accrete.ingest.value_checks import EXAMPLES_SHOWN, check_values
from accrete.spec import DatasetSpec


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


@dataclass(frozen=True)
class IngestedBatch:
    """A batch already in the raw table: the content hash of its file and the run that ingested it."""

    sha256: str
    run_id: str


@dataclass(frozen=True)
class SameContent:
    """A delivered file left out because its bytes are those of a batch already ingested."""

    landing_file: LandingFile
    batch: str
    run_id: str

    def __str__(self) -> str:
        return (
            f"skipped {self.landing_file.path.name}: same content as {self.batch}, "
            f"ingested in run {self.run_id}"
        )


def split_same_content(
    changed: list[LandingFile], ingested: dict[str, IngestedBatch], run_id: str
) -> tuple[list[LandingFile], list[SameContent]]:
    """The new or changed whole files to ingest in run ``run_id``, and those to skip because their
    content is already ingested under another name (a batch in ``ingested`` that this run does not
    replace, or an earlier file of ``changed``): the same file delivered twice is ingested once."""
    replaced = {landing_file.batch for landing_file in changed}
    holder = {batch.sha256: (name, batch.run_id) for name, batch in ingested.items() if name not in replaced}
    fresh: list[LandingFile] = []
    skipped: list[SameContent] = []
    for landing_file in changed:
        if landing_file.sha256 in holder:
            skipped.append(SameContent(landing_file, *holder[landing_file.sha256]))
        else:
            holder[landing_file.sha256] = (landing_file.batch, run_id)
            fresh.append(landing_file)
    return fresh, skipped


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
    """The file as UTF-8 text (without the byte-order mark some exports start with), gunzipped when
    it starts with the gzip magic bytes."""
    with path.open("rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    opener = gzip.open if compressed else open
    return opener(path, "rt", encoding="utf-8-sig", newline="")


def _refuse_duplicate_headers(header: list[str], name: str) -> None:
    """A header naming one column twice cannot say which values are which column."""
    positions: dict[str, list[int]] = {}
    for position, column in enumerate(header, start=1):
        positions.setdefault(column, []).append(position)
    repeated = {column: places for column, places in positions.items() if len(places) > 1}
    if repeated:
        listed = "; ".join(
            f"{column!r} at positions {', '.join(map(str, places))}" for column, places in repeated.items()
        )
        raise LandingFileError(f"{name}: the header names a column more than once: {listed}")


def _read_csv(path: Path, spec: DatasetSpec) -> pd.DataFrame:
    """Rows as strings under their delivered headers (the spec's, in its order, when the file has
    no header line); every row must have as many fields as the header."""
    try:
        with _open_text(path) as handle:
            rows = [row for row in csv.reader(handle, delimiter=spec.format.separator) if row]
    except (OSError, EOFError, UnicodeDecodeError, zlib.error, csv.Error) as error:
        raise LandingFileError(
            f"{path.name}: the file cannot be read (corrupt or wrong format): {error}"
        ) from error
    if not rows:
        raise LandingFileError(f"{path.name}: the file is empty")
    if spec.format.header:
        header = [name.strip() for name in rows.pop(0)]
        _refuse_duplicate_headers(header, path.name)
    else:
        header = list(spec.delivered_headers.values())
    expected = len(header)
    ragged = [
        number
        for number, row in enumerate(rows, start=2 if spec.format.header else 1)
        if len(row) != expected
    ]
    if ragged:
        lines = ", ".join(str(line) for line in ragged[:EXAMPLES_SHOWN])
        has = "its header has" if spec.format.header else "the spec has"
        raise LandingFileError(
            f"{path.name}: expected {expected} columns per row (as {has}), {len(ragged)} rows differ, "
            f"e.g. lines {lines}"
        )
    return pd.DataFrame(rows, columns=header, dtype=object)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        with duckdb.connect() as connection:
            frame = connection.execute("select * from read_parquet(?)", [str(path)]).df()
    except duckdb.Error as error:
        raise LandingFileError(f"{path.name}: the file cannot be read as Parquet: {error}") from error
    _refuse_duplicate_headers([str(column).strip() for column in frame.columns], path.name)
    return frame.astype("string").fillna("").astype(object)


def _check_columns(frame: pd.DataFrame, spec: DatasetSpec, name: str) -> None:
    """The file's columns are the spec's, by their delivered headers (a column's source, else its key)."""
    expected = list(spec.delivered_headers.values())
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
        hint = " (a column delivered under another header than its key names that header in source:)"
        raise LandingFileError(
            f"{name}: header does not match the spec: missing columns {missing}, unexpected columns "
            f"{unexpected}{hint if missing and unexpected else ''}"
        )


def value_problems(frame: pd.DataFrame, spec: DatasetSpec) -> list[str]:
    """The row problems of ``frame`` (delivered text under spec column keys, the index saying where
    each row is) as the landing check finds them: a value staging could not type, an unknown
    category, a number out of range, a required value missing; one message per column and problem.
    Stored raw rows are checked with it when a spec change retypes their columns."""
    return check_values(frame, spec).row_problems


@dataclass(frozen=True)
class LandingBatch:
    """A checked landing file: the rows to ingest, and the rows set aside (``on_invalid: quarantine``)."""

    rows: pd.DataFrame
    """``_line``, then the spec's columns as delivered (text)."""
    quarantined: pd.DataFrame
    """``_line``, ``_reason`` (every problem of the row) and ``_values`` (its delivered values, as a
    JSON object keyed by column)."""


def _quarantined(frame: pd.DataFrame, reasons: pd.Series) -> pd.DataFrame:
    rows = frame.loc[reasons.index]
    values = [
        json.dumps(dict(zip(rows.columns, row, strict=True)), ensure_ascii=False)
        for row in rows.itertuples(index=False)
    ]
    return pd.DataFrame(
        {"_line": reasons.index, "_reason": reasons.to_numpy(), "_values": values}, dtype=object
    )


def read_landing_file(landing_file: LandingFile, spec: DatasetSpec) -> LandingBatch:
    """The file's rows as delivered (strings, under the spec's column keys in spec order), plus a
    1-based ``_line`` column; under ``on_invalid: quarantine``, without its invalid rows, which
    come apart with their reasons.

    Raises LandingFileError, listing every problem found, if staging could not type the file.
    """
    path = landing_file.path
    if not path.is_file():
        raise LandingFileError(f"{path}: landing file not found")
    frame = _read_parquet(path) if spec.format.kind == "parquet" else _read_csv(path, spec)
    _check_columns(frame, spec, path.name)
    key_of = {header: key for key, header in spec.delivered_headers.items()}
    frame.columns = [key_of[str(column).strip()] for column in frame.columns]
    frame = frame[list(spec.columns)]
    if frame.empty:
        raise LandingFileError(f"{path.name}: the file has no rows")
    first_line = 2 if spec.format.header else 1
    frame.index = pd.RangeIndex(first_line, first_line + len(frame))
    check = check_values(frame, spec)
    refused = check.column_problems + (check.row_problems if spec.on_invalid == "refuse" else [])
    if refused:
        raise LandingFileError(f"{path.name}: " + "; ".join(refused))
    if len(check.reasons) == len(frame):
        raise LandingFileError(
            f"{path.name}: every row is invalid, nothing to ingest (is it the right file for this spec?): "
            + "; ".join(check.row_problems)
        )
    valid = frame.drop(index=check.reasons.index)
    return LandingBatch(valid.rename_axis("_line").reset_index(), _quarantined(frame, check.reasons))
