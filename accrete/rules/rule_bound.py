"""A generator that keeps a spec's rules: any backend, with derived columns and masked combinations.

- Derived columns (formula results, determined columns) are taken out of what the backend learns
  and computed after sampling (``accrete.rules.derived``).
- Combinations the real rows take (``combination`` rules, the determining columns of a dependency,
  the values of a ``reference`` column), and the patterns of a ``one_hot`` group (each member true
  alone), are given to the backend, which keeps those it can exactly (the autoregressive sampler masks every token that
  would leave them) and names the ones it cannot.
- ``violations`` says which sampled rows still break a rule (unique keys, inequalities, and what the
  backend could not mask), judged against the combinations stored with the model; sampling
  (``accrete.synthetic.sample``) redraws those rows.

What the wrapper learned is saved beside the backend's files as ``rules.json``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import TypeAdapter

from accrete.generator.base import FitReport, GeneratorBackend, GeneratorError, ProgressCallback
from accrete.generator.registry import backend_class
from accrete.rules.derived import ROWS, DerivedColumns, real_combinations
from accrete.rules.rule_spec import (
    CombinationRule,
    DependencyRule,
    OneHotRule,
    ReferenceRule,
    Rule,
    derived_columns,
)
from accrete.rules.violations import rule_violations
from accrete.table_schema import TableSchema

RULES_FILE = "rules.json"
_RULES = TypeAdapter(list[Rule])


def _seen_columns(rule: Rule) -> list[str] | None:
    """The columns whose real combinations ``rule`` keeps, or None for a rule judged row by row."""
    if isinstance(rule, CombinationRule | OneHotRule):
        return list(rule.columns)
    if isinstance(rule, DependencyRule):
        return rule.columns_used
    if isinstance(rule, ReferenceRule):
        return [rule.column]
    return None


def one_hot_patterns(columns: list[str]) -> pd.DataFrame:
    """The combinations a one-hot group allows, from the rule alone: each member true by itself
    (read from no row, so a private generator keeps them too)."""
    patterns = pd.DataFrame(np.eye(len(columns), dtype=bool), columns=columns).astype("boolean")
    return patterns.assign(**{ROWS: 1})


def _table_state(table: pd.DataFrame) -> str:
    """A table of real combinations as JSON (datetimes as ISO 8601 text)."""
    return table.to_json(orient="split", index=False, date_format="iso")


def _table_from_state(state: str, schema: TableSchema) -> pd.DataFrame:
    """The table ``_table_state`` wrote, each column typed as ``schema`` types it: JSON alone would
    read a code such as '01' as the number 1, and a datetime as a number of milliseconds."""
    table = pd.read_json(io.StringIO(state), orient="split", dtype=False, convert_dates=False)
    for name in table.columns:
        if name not in schema.names:
            continue  # the row counts
        column = schema.column(name)
        if column.kind == "categorical":
            table[name] = table[name].astype("string")
        elif column.kind == "boolean":
            table[name] = table[name].astype("boolean")
        elif column.kind == "datetime":
            table[name] = pd.to_datetime(table[name])
        else:
            table[name] = pd.to_numeric(table[name]).astype("Int64" if column.integer else "Float64")
    return table


def column_types(schema: TableSchema) -> dict[str, str]:
    return {column.name: column.kind for column in schema.columns}


def model_schema(schema: TableSchema, rules: list[Rule]) -> TableSchema:
    """The columns a backend learns under ``rules``: the schema's, less the derived ones."""
    derived = set(derived_columns(rules, column_types(schema)))
    return TableSchema(tuple(column for column in schema.columns if column.name not in derived))


class RuleBoundGenerator(GeneratorBackend):
    """``inner`` (fitted on the schema less the derived columns), made to keep ``rules``."""

    def __init__(self, inner: GeneratorBackend, schema: TableSchema, rules: list[Rule]):
        super().__init__(schema, inner.settings, inner.seed)
        self.inner = inner
        self.name = inner.name
        self.rules = list(rules)
        self.derived = DerivedColumns.for_rules(self.rules, column_types(schema))
        self.computes = {rule.name: derived_columns([rule], column_types(schema)) for rule in self.rules}
        """Per rule, the columns it computes (never learned, never conditioned on)."""
        self.seen: dict[str, pd.DataFrame] = {}
        """Per combination-keeping rule, the real combinations of its columns with their row counts
        (``real_combinations``); the derived columns draw from the same tables."""
        self.unmasked: list[str] = []
        """Rules whose combinations the backend could not keep by masking (left to redraws)."""

    def fit(self, data: pd.DataFrame, progress: ProgressCallback | None = None) -> FitReport:
        self._use_seen(
            {
                rule.name: (
                    one_hot_patterns(rule.columns)
                    if isinstance(rule, OneHotRule)
                    else real_combinations(columns, self.derived.keys.get(rule.name, columns), data)
                )
                for rule in self.rules
                if (columns := _seen_columns(rule)) is not None
            }
        )
        report = self.inner.fit(data[self.inner.schema.names], progress=progress)
        self._keep_combinations()
        return report

    def _use_seen(self, seen: dict[str, pd.DataFrame]) -> None:
        self.seen = seen
        self.derived.tables = {name: table for name, table in seen.items() if name in self.derived.keys}

    def _keep_combinations(self) -> None:
        """Give the backend the seen combinations of its own columns; note those it cannot keep."""
        derived = {name for computed in self.computes.values() for name in computed}
        offered = {}
        for name, combinations in self.seen.items():
            learned = [column for column in _seen_columns(self._rule(name)) if column not in derived]
            if learned:
                offered[name] = combinations[learned].drop_duplicates().reset_index(drop=True)
        self.unmasked = self.inner.keep_combinations(offered)

    def sample(
        self, num_rows: int, conditions: dict[str, Any] | None = None, seed: int | None = None
    ) -> pd.DataFrame:
        conditions = dict(conditions or {})
        for rule in self.rules:
            computed = set(self.computes[rule.name]) & set(conditions)
            if computed:
                raise GeneratorError(
                    f"cannot condition on {sorted(computed)}: rule {rule.name!r} computes them from "
                    f"{[name for name in rule.columns_used if name not in computed]}; condition on those"
                )
        rows = self.inner.sample(num_rows, conditions=conditions or None, seed=seed)
        return self.derived.compute(rows, self.seed if seed is None else seed)[self.schema.names]

    def _rule(self, name: str) -> Rule:
        return next(rule for rule in self.rules if rule.name == name)

    def violations(self, rows: pd.DataFrame) -> dict[str, np.ndarray]:
        """Per rule, the positions of ``rows`` that break it (judged against the stored combinations)."""
        found: dict[str, np.ndarray] = {}
        for rule in self.rules:
            real = self.seen.get(rule.name, rows.iloc[:0])
            references = None
            if isinstance(rule, ReferenceRule):
                references = {rule.name: set(real[rule.column].dropna().astype(str))}
            found.update(rule_violations(rows, [rule], real, references))
        return found

    def save(self, directory: Path) -> list[Path]:
        files = self.inner.save(directory)
        state = {
            "backend": self.inner.name,
            "rules": _RULES.dump_python(self.rules, mode="json"),
            "seen": {name: _table_state(table) for name, table in self.seen.items()},
        }
        path = Path(directory) / RULES_FILE
        path.write_text(json.dumps(state, indent=1))
        return [*files, path]

    @classmethod
    def load(cls, directory: Path, schema: TableSchema) -> RuleBoundGenerator:
        state = json.loads((Path(directory) / RULES_FILE).read_text())
        rules = _RULES.validate_python(state["rules"])
        inner = backend_class(state["backend"]).load(directory, model_schema(schema, rules))
        generator = cls(inner, schema, rules)
        generator._use_seen({name: _table_from_state(table, schema) for name, table in state["seen"].items()})
        generator._keep_combinations()
        return generator


def rule_bound_generator(
    backend: str, schema: TableSchema, rules: list[Rule], settings: dict[str, Any], seed: int
) -> GeneratorBackend:
    """A new ``backend`` for ``schema``: rule-bound when there are ``rules``, the backend itself otherwise."""
    if not rules:
        return backend_class(backend)(schema, settings, seed)
    return RuleBoundGenerator(
        backend_class(backend)(model_schema(schema, rules), settings, seed), schema, rules
    )
