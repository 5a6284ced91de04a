"""The interface every generator backend implements.

A backend learns the joint distribution of a clean training table and samples new rows
from it. The pipeline only talks to this interface, so the dataset spec can choose a
backend (``generator.backend``) without any code change.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from accrete.table_schema import TableSchema

ProgressCallback = Callable[[dict[str, Any]], None]


class GeneratorError(ValueError):
    """A generator was asked for something it cannot do (bad setting, impossible condition, no
    rows to learn from): asking again gives the same answer."""


class TrainingProcessError(RuntimeError):
    """The processes training a generator failed (a worker crashed or was killed): a retry may succeed."""


@dataclass
class FitReport:
    """What a fit did, for run logs and materialization metadata."""

    seconds: float
    rows: int
    device: str = "cpu"
    epochs: int | None = None
    losses: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class GeneratorBackend(ABC):
    """Fit on a training table, sample synthetic rows, save to and load from a folder."""

    name: ClassVar[str]

    def __init__(self, schema: TableSchema, settings: dict[str, Any] | None = None, seed: int = 0):
        self.schema = schema
        self.settings = dict(settings or {})
        self.seed = seed

    @abstractmethod
    def fit(self, data: pd.DataFrame, progress: ProgressCallback | None = None) -> FitReport:
        """Learn from ``data`` (exactly the schema's columns).

        ``progress``, when given, is called once per epoch with a dict such as
        ``{"epoch": 3, "loss": 1.92, "val_loss": 1.95, "rows_per_second": 81000, "device": "cpu"}``;
        the Dagster asset forwards it to the run log.
        """

    @abstractmethod
    def sample(
        self, num_rows: int, conditions: dict[str, Any] | None = None, seed: int | None = None
    ) -> pd.DataFrame:
        """Return ``num_rows`` synthetic rows with the schema's columns, in schema order.

        ``conditions`` fixes the value of some columns in every row; a backend that cannot
        honour a condition exactly raises GeneratorError.
        """

    def keep_combinations(self, combinations: dict[str, pd.DataFrame]) -> list[str]:
        """Sample only rows whose values of each frame's columns form one of its rows.

        ``combinations``: per rule name, the allowed combinations (one row each) of some of the
        schema's columns. Returns the names of those this backend cannot keep exactly, which the
        caller redraws; a backend without masking keeps none (the default).
        """
        return list(combinations)

    @abstractmethod
    def save(self, directory: Path) -> list[Path]:
        """Write the fitted model into ``directory`` and return the files written."""

    @classmethod
    @abstractmethod
    def load(cls, directory: Path, schema: TableSchema) -> GeneratorBackend:
        """Rebuild a fitted backend from the files ``save`` wrote."""
