"""The peer benchmark's datasets: one seeded train/holdout split each, as files ``accrete synthesize`` reads.

Each dataset is written as two CSV files with the spec's column keys as headers (what
``accrete.table_files.read_training_table`` reads): the training split, which every system
learns from, and the real holdout, which none sees. Both are then read back through
``read_training_table`` (the spec's types, missing-value flags derived and imputed from the
training rows), so the typed training frame is exactly the table ``fit_and_sample`` trains on.

- adult: UCI's own split, the training file against the test file (``bench.adult``).
- credit: the bundled ``UCI_Credit_Card.csv.gz``, a seeded 80/20 split.
- flights: a seeded sample of ``flights.parquet`` (``rows``), a seeded 80/20 split.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from accrete.spec import DatasetSpec, load_spec
from accrete.table_files import read_training_table
from accrete.table_schema import TableSchema
from bench.adult import load_adult

ROOT = Path(__file__).resolve().parents[1]
SEED = 0
HOLDOUT_FRACTION = 0.2


@dataclass(frozen=True)
class PeerDataset:
    """A dataset's spec, its split as files, and the same split typed as the generators see it."""

    name: str
    spec: DatasetSpec
    train_file: Path
    train: pd.DataFrame
    holdout: pd.DataFrame

    @property
    def schema(self) -> TableSchema:
        """The columns every system learns and is scored on (the spec's training schema)."""
        return self.spec.training_schema

    @property
    def target(self) -> str | None:
        """The column TSTR predicts (the spec's ``target``)."""
        return self.spec.target


def spec_of(name: str) -> DatasetSpec:
    """The bundled spec of dataset ``name``."""
    return load_spec(ROOT / "datasets" / name / "spec.yaml")


def _seeded_split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    holdout = frame.sample(frac=HOLDOUT_FRACTION, random_state=SEED)
    return frame.drop(holdout.index).reset_index(drop=True), holdout.reset_index(drop=True)


def _raw_split(name: str, spec: DatasetSpec, rows: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The dataset's rows as delivered, under the spec's column keys, split into train and holdout."""
    if name == "adult":
        return load_adult("train"), load_adult("test")
    if name == "credit":
        frame = pd.read_csv(ROOT / "landing" / "credit" / "UCI_Credit_Card.csv.gz", dtype=str)
        frame = frame.rename(columns={header: key for key, header in spec.delivered_headers.items()})
        return _seeded_split(frame[spec.training_schema.names])
    if name == "flights":
        with duckdb.connect() as connection:
            frame = connection.execute(
                "select * from read_parquet(?)", [str(ROOT / "datasets" / "flights" / "flights.parquet")]
            ).df()
        if rows is not None and rows < len(frame):
            frame = frame.sample(n=rows, random_state=SEED).reset_index(drop=True)
        frame["time_hour"] = pd.to_datetime(frame["time_hour"]).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        return _seeded_split(frame[[name for name in spec.columns if name in frame.columns]])
    raise KeyError(f"unknown peer dataset {name!r}")


def _files(name: str, folder: Path) -> tuple[Path, Path]:
    return folder / f"{name}-train.csv", folder / f"{name}-holdout.csv"


def prepare(name: str, folder: Path, rows: int | None = None) -> PeerDataset:
    """Write dataset ``name``'s split to ``folder`` and read it back typed (``rows``: flights' sample size)."""
    spec = spec_of(name)
    raw_train, raw_holdout = _raw_split(name, spec, rows)
    folder.mkdir(parents=True, exist_ok=True)
    train_file, holdout_file = _files(name, folder)
    raw_train.to_csv(train_file, index=False)
    raw_holdout.to_csv(holdout_file, index=False)
    return load(name, folder)


def load(name: str, folder: Path) -> PeerDataset:
    """The split ``prepare`` wrote to ``folder``, typed (what a benchmark worker reads)."""
    spec = spec_of(name)
    train_file, holdout_file = _files(name, folder)
    train, _ = read_training_table(train_file, spec)
    holdout, _ = read_training_table(holdout_file, spec, reference=train)
    return PeerDataset(name, spec, train_file, train, holdout)
