"""Business rules a dataset's rows obey, as declared in its spec (``rules:``).

Each rule has a name and a kind:

- ``combination``: the columns take only combinations seen in the real data
  (``[origin, dest]``: no synthetic flight flies a route that does not exist);
- ``dependency``: ``columns`` are determined by ``determined_by`` (``distance`` by the route);
  the determining columns also take only combinations seen in the real data;
- ``formula``: ``column`` equals a SQL expression of other columns (``hour * 100 + minute``);
- ``inequality``: ``left operator right`` between two numerical or two datetime columns;
- ``reference``: the column's values exist in column ``key`` of a reference table shipped with
  the dataset (``datasets/<name>/reference/<table>.csv``);
- ``one_hot``: exactly one of a set of boolean columns is true;
- ``unique``: no two rows share the columns' values (the record key is one, implied).

A row whose rule columns hold a missing value is not judged by that rule: missing values are
the imputation's business. ``accrete rules`` proposes the rules a table obeys; the rules gate
and the clean table's dbt tests check them; sampling keeps them (``accrete.rules.sampling``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import duckdb
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

RULE_NAME = r"^[a-z][a-z0-9_]*$"


def expression_columns(expression: str) -> list[str]:
    """The column names a SQL expression reads, in order of first use; ValueError if it does not parse."""
    with duckdb.connect() as connection:
        tree = json.loads(
            connection.execute("select json_serialize_sql(?)", [f"select {expression}"]).fetchall()[0][0]
        )
    if tree.get("error"):
        raise ValueError(f"{expression!r} is not a SQL expression: {tree.get('error_message')}")
    names: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("class") == "COLUMN_REF" and node["column_names"][-1] not in names:
                names.append(node["column_names"][-1])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(tree)
    return names


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=RULE_NAME)
    description: str = ""

    @property
    def columns_used(self) -> list[str]:
        """Every dataset column the rule reads."""
        raise NotImplementedError


class CombinationRule(_Rule):
    kind: Literal["combination"]
    columns: list[str] = Field(min_length=2)

    @property
    def columns_used(self) -> list[str]:
        return list(self.columns)


class DependencyRule(_Rule):
    kind: Literal["dependency"]
    columns: list[str] = Field(min_length=1)
    """The determined columns: computed from a lookup of the real data, never sampled."""
    determined_by: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _disjoint(self) -> DependencyRule:
        both = sorted(set(self.columns) & set(self.determined_by))
        if both:
            raise ValueError(f"columns {both} cannot determine themselves")
        return self

    @property
    def columns_used(self) -> list[str]:
        return [*self.determined_by, *self.columns]


class FormulaRule(_Rule):
    kind: Literal["formula"]
    column: str
    """Computed from ``equals`` after sampling, never sampled."""
    equals: str = Field(min_length=1)
    """A DuckDB SQL expression over other columns, e.g. ``hour * 100 + minute``."""

    _inputs: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _reads_other_columns(self) -> FormulaRule:
        self._inputs = expression_columns(self.equals)
        if not self._inputs:
            raise ValueError(f"formula {self.equals!r} reads no column")
        if self.column in self._inputs:
            raise ValueError(f"formula for {self.column!r} reads {self.column!r} itself")
        return self

    @property
    def inputs(self) -> list[str]:
        """The columns ``equals`` reads, as DuckDB's parser found them when the rule was made."""
        return list(self._inputs)

    @property
    def columns_used(self) -> list[str]:
        return [*self.inputs, self.column]


class InequalityRule(_Rule):
    kind: Literal["inequality"]
    left: str
    operator: Literal["<", "<=", ">", ">="]
    right: str

    @property
    def columns_used(self) -> list[str]:
        return [self.left, self.right]


class ReferenceRule(_Rule):
    kind: Literal["reference"]
    column: str
    table: str = Field(pattern=RULE_NAME)
    """A reference table of the dataset: ``datasets/<dataset>/reference/<table>.csv``."""
    key: str
    """The reference table's column that lists the allowed values."""

    @property
    def columns_used(self) -> list[str]:
        return [self.column]


class OneHotRule(_Rule):
    kind: Literal["one_hot"]
    columns: list[str] = Field(min_length=2)

    @property
    def columns_used(self) -> list[str]:
        return list(self.columns)


class UniqueRule(_Rule):
    kind: Literal["unique"]
    columns: list[str] = Field(min_length=1)

    @property
    def columns_used(self) -> list[str]:
        return list(self.columns)


Rule = Annotated[
    CombinationRule | DependencyRule | FormulaRule | InequalityRule | ReferenceRule | OneHotRule | UniqueRule,
    Field(discriminator="kind"),
]
RULE_KINDS = ("combination", "dependency", "formula", "inequality", "reference", "one_hot", "unique")


LABEL_TYPES = ("categorical", "boolean")


def completed_columns(rule: Rule, types: Mapping[str, str]) -> list[str]:
    """The numbers and datetimes of a combination that also has a label (category or flag) column:
    drawn from the real combinations holding the row's labels, never sampled (``types``: each
    column's spec type)."""
    if not isinstance(rule, CombinationRule) or not any(types[name] in LABEL_TYPES for name in rule.columns):
        return []
    return [name for name in rule.columns if types[name] not in LABEL_TYPES]


def derived_columns(rules: list[Rule], types: Mapping[str, str]) -> list[str]:
    """Columns computed after sampling instead of sampled: formula results, determined columns and
    the completed numbers of combinations (``types``: each column's spec type)."""
    derived: list[str] = []
    for rule in rules:
        if isinstance(rule, FormulaRule):
            derived.append(rule.column)
        elif isinstance(rule, DependencyRule):
            derived.extend(rule.columns)
        else:
            derived.extend(completed_columns(rule, types))
    return derived
