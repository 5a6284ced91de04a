"""The modelled shape of a table: the columns a generator learns and must reproduce."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["numerical", "categorical", "datetime", "boolean"]


@dataclass(frozen=True)
class ModelColumn:
    """One column a generator models.

    ``integer`` marks whole-number numerical columns; ``minimum``/``maximum`` bound
    numerical values (None: unbounded); ``categories`` lists the allowed values of a
    categorical column (empty: open set, learned from the data).
    """

    name: str
    kind: ColumnKind
    integer: bool = False
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSchema:
    """The ordered columns of a training table."""

    columns: tuple[ModelColumn, ...] = field(default_factory=tuple)

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> ModelColumn:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"no column {name!r} in the table schema")
