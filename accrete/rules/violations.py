"""Which rows break a rule: one DuckDB query per rule kind, written once here.

The rules gate judges the synthetic table with these queries, sampling redraws the rows they
name, and the clean table's dbt tests are rendered from the same predicates. A row holding a
missing value in a rule's columns is not judged by a row-by-row rule (formula, inequality,
one-hot), a reference or a unique rule.

``combination`` and ``dependency`` rules are judged against the real rows: a synthetic row breaks
``[origin, dest]`` when no real row has its route, and ``distance`` determined by the route when its
distance is not the real one for that route. They judge every row, missing values included (a
missing value is a value a real combination may hold or not): a computed column left missing
because no real row had the row's other values breaks its rule. ``reference`` rules are judged against the values of
the reference table's key column.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import numpy as np
import pandas as pd

from accrete.rules.rule_spec import (
    CombinationRule,
    DependencyRule,
    FormulaRule,
    InequalityRule,
    OneHotRule,
    ReferenceRule,
    Rule,
    UniqueRule,
)
from accrete.warehouse import quote_identifier

ROW = "_rule_row"
"""The row position each query returns for a violating row."""
FORMULA_TOLERANCE = 1e-9
"""Relative difference up to which a computed number equals its formula (floating-point rounding)."""


def _judged(columns: list[str]) -> str:
    return " and ".join(f"{quote_identifier(name)} is not null" for name in columns)


def _same_values(columns: list[str], left: str, right: str) -> str:
    """Rows ``left`` and ``right`` hold the same values in ``columns`` (missing equal to missing)."""
    return " and ".join(
        f"{left}.{quote_identifier(name)} is not distinct from {right}.{quote_identifier(name)}"
        for name in columns
    )


def row_breaks(rule: FormulaRule | InequalityRule | OneHotRule) -> str:
    """A SQL condition, over one row's columns, true when the row breaks ``rule``."""
    if isinstance(rule, FormulaRule):
        value, computed = quote_identifier(rule.column), f"({rule.equals})"
        difference = f"abs({value} - {computed}) > {FORMULA_TOLERANCE} * greatest(1, abs({computed}))"
        return f"({_judged(rule.columns_used)} and {difference})"
    if isinstance(rule, InequalityRule):
        left, right = quote_identifier(rule.left), quote_identifier(rule.right)
        return f"({_judged(rule.columns_used)} and not ({left} {rule.operator} {right}))"
    trues = " + ".join(f"cast({quote_identifier(name)} as integer)" for name in rule.columns)
    return f"({_judged(rule.columns)} and {trues} <> 1)"


def violations_query(rule: Rule, table: str, real: str, reference: str) -> str:
    """Rows of ``table`` (with a ``_rule_row`` column) that break ``rule``.

    ``real``: the real rows that ``combination`` and ``dependency`` rules are judged against;
    ``reference``: a table of one column ``value``, the allowed values of a ``reference`` rule.
    """
    if isinstance(rule, FormulaRule | InequalityRule | OneHotRule):
        return f"select {ROW} from {table} where {row_breaks(rule)}"
    if isinstance(rule, ReferenceRule):
        column = quote_identifier(rule.column)
        return (
            f"select {ROW} from {table} where {column} is not null "
            f"and cast({column} as varchar) not in (select value from {reference})"
        )
    if isinstance(rule, UniqueRule):
        key = ", ".join(quote_identifier(name) for name in rule.columns)
        return (
            f"select {ROW} from (select {ROW}, row_number() over (partition by {key} order by {ROW}) as copy "
            f"from {table} where {_judged(rule.columns)}) where copy > 1"
        )
    if isinstance(rule, CombinationRule | DependencyRule):
        return (
            f"select {ROW} from {table} as row where not exists "
            f"(select 1 from {real} as real where {_same_values(rule.columns_used, 'row', 'real')})"
        )
    raise TypeError(f"no violation query for rule kind {type(rule).__name__}")


MODEL = "__model__"
REFERENCE = "__reference__"
"""Placeholders the ``accrete_rule`` dbt test replaces with the tested model and the reference table."""


def clean_table_test_sql(rule: Rule) -> str | None:
    """The query of the dbt test that checks ``rule`` on the real clean table (rows: failures), with
    the placeholders ``MODEL`` and ``REFERENCE``; None for a combination rule, which the real rows
    define. A dependency fails where one combination of determining values (missing ones included)
    has several determined ones."""
    if isinstance(rule, FormulaRule | InequalityRule | OneHotRule):
        return f"select * from {MODEL} where {row_breaks(rule)}"
    if isinstance(rule, ReferenceRule):
        column, key = quote_identifier(rule.column), quote_identifier(rule.key)
        return (
            f"select {column} from {MODEL} where {column} is not null "
            f"and cast({column} as varchar) not in (select {key} from {REFERENCE} where {key} is not null)"
        )
    if isinstance(rule, UniqueRule):
        key = ", ".join(quote_identifier(name) for name in rule.columns)
        judged = _judged(rule.columns)
        return (
            f"select {key}, count(*) as copies from {MODEL} where {judged} group by {key} having count(*) > 1"
        )
    if isinstance(rule, DependencyRule):
        key = ", ".join(quote_identifier(name) for name in rule.determined_by)
        determined = ", ".join(quote_identifier(name) for name in rule.columns)
        return (
            f"select {key}, count(distinct row({determined})) as values from {MODEL} "
            f"group by {key} having count(distinct row({determined})) > 1"
        )
    return None


def rule_violations(
    rows: pd.DataFrame,
    rules: list[Rule],
    real: pd.DataFrame,
    reference_values: Mapping[str, set[str]] | None = None,
) -> dict[str, np.ndarray]:
    """Per rule name, the positions (0-based) of the ``rows`` that break it.

    ``real``: the real rows combinations and dependencies are judged against; ``reference_values``:
    per reference rule name, its allowed values (required for every reference rule).
    """
    reference_values = reference_values or {}
    judged = rows.reset_index(drop=True).assign(**{ROW: np.arange(len(rows))})
    found: dict[str, np.ndarray] = {}
    with duckdb.connect() as connection:
        connection.register("judged_rows", judged)
        connection.register("real_rows", real)
        for rule in rules:
            reference = "reference_values"
            if isinstance(rule, ReferenceRule):
                if rule.name not in reference_values:
                    raise KeyError(
                        f"rule {rule.name!r}: no reference values given for {rule.table}.{rule.key}"
                    )
                values = pd.DataFrame({"value": sorted(reference_values[rule.name])}, dtype="string")
                connection.register(reference, values)
            query = violations_query(rule, "judged_rows", "real_rows", reference)
            positions = connection.execute(query).fetchnumpy()[ROW]
            found[rule.name] = np.sort(np.asarray(positions, dtype=np.int64))
            if isinstance(rule, ReferenceRule):
                connection.unregister(reference)
    return found
