"""Replaying a daily dataset's history into its landing folder, one file per day.

``python -m orchestration.replay_days flights --days 7`` (what ``make replay DAYS=7`` runs) writes the
next seven days after the last one already landed, as the source system would have
delivered them, so a user can watch the landing sensor and the daily partitions react.
``--through 2013-01-07`` writes every missing day up to that day instead (the command line
is ``orchestration/replay_days.py``). Each file is written under a temporary name and renamed,
so a sensor never sees half a file.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb

from accrete.ingest.landing import batch_of
from accrete.spec import DatasetSpec
from accrete.warehouse import quote_identifier


def landed_days(spec: DatasetSpec, folder: Path) -> list[str]:
    """Days whose landing file is already in ``folder``."""
    return sorted(batch_of(spec, path) for path in folder.glob(spec.landing_pattern))


def days_to_replay(
    spec: DatasetSpec, landed: list[str], days: int | None, through: date | None
) -> list[date]:
    """The next ``days`` days after the last landed one, or every day not landed up to ``through``."""
    partitions = spec.partitions
    if (days is None) == (through is None):
        raise ValueError("give either a number of days or a last day")
    if through is not None:
        last = min(through, partitions.end)
        span = range((last - partitions.start).days + 1)
        return [
            day for day in (partitions.start + timedelta(n) for n in span) if day.isoformat() not in landed
        ]
    if days <= 0:
        raise ValueError(f"the number of days must be positive, got {days}")
    first = date.fromisoformat(landed[-1]) + timedelta(days=1) if landed else partitions.start
    return [day for day in (first + timedelta(n) for n in range(days)) if day <= partitions.end]


def replay(spec: DatasetSpec, spec_folder: Path, landing_root: Path, days: list[date]) -> list[Path]:
    """Write one landing file per day in ``days`` from the spec's replay source."""
    if spec.partitions is None or spec.partitions.replay is None:
        raise ValueError(f"{spec.name}: the spec has no partitions.replay source to replay")
    source = spec_folder / spec.partitions.replay.source
    if not source.is_file():
        raise FileNotFoundError(f"{spec.name}: replay source {source} not found")
    folder = landing_root / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(map(quote_identifier, spec.delivered_headers.values()))
    written = []
    with duckdb.connect() as connection:
        connection.execute(
            f"create view history as select {spec.partitions.replay.day} as _day, {columns} "
            f"from read_parquet('{source}')"
        )
        for day in days:
            target = folder / spec.partitions.file_for(day.isoformat())
            partial = target.with_name(f".{target.name}.partial")
            connection.execute(
                f"copy (select {columns} from history where _day = '{day.isoformat()}') "
                f"to '{partial}' (format csv, header true)"
            )
            partial.rename(target)
            written.append(target)
    return written
