"""A spec change carried into a dataset's raw table: columns added, dropped, renamed or retyped.

``raw.<name>`` holds every delivered value as text, one column per spec column key. When a spec
changes after batches were ingested, the raw table follows it before the next batch is written,
in the same transaction, and earlier batches keep their values:

- an **added** column takes its ``default`` in the earlier rows; without one they are null, so it
  must be imputable, from values in the batches of the same run (a daily dataset imputes within
  each day, so there an added column needs a default);
- a **dropped** column is removed with its stored values;
- a **renamed** column (``renamed_from: <old key>`` on its spec entry) keeps its stored values;
- a **retyped** column (any change of what its values may be: type, integer, categories, aliases,
  datetime format, bounds, imputable or not, the missing-value tokens) is allowed when every stored
  value passes the landing check under the new spec: integer to number, a category list grown,
  numbers to categories. A narrowing that stored values break (2.5 stored for a new integer, a
  removed category still in use) is refused, naming the column and example values.

Raw stores text, so retyping never changes a DuckDB column type: staging reads the text under the
new type. Every change, and the contract it leaves (what each column accepts), is one row of
``meta.raw_migrations``; the next ingestion compares the spec with the latest row, so a change is
carried out once. Everything is checked before anything is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd

from accrete.ingest.landing import value_problems
from accrete.spec import DatasetSpec
from accrete.tables import META_SCHEMA, RAW_MIGRATIONS, DatasetTables
from accrete.value_casts import read_values
from accrete.warehouse import quote_identifier, table_exists

NOT_IN_CONTRACT = {"description", "source", "renamed_from", "default", "trend"}
"""Column options that do not decide which stored text a column accepts."""


class RawMigrationError(ValueError):
    """A spec change the raw table cannot follow; nothing has been written."""


@dataclass(frozen=True)
class RawMigration:
    """What one ingestion changes in a dataset's raw table before writing its batches."""

    dataset: str
    contract: dict
    """What each column accepts after the migration (``raw_contract``)."""
    created: bool = False
    """The raw table is new: nothing to migrate, the contract is recorded."""
    first_record: bool = False
    """The raw table existed before its contract was recorded: its stored values were checked."""
    added: dict[str, str | None] = field(default_factory=dict)
    """Added column -> the value earlier rows take (None: null)."""
    dropped: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    """Old key -> new key."""
    retyped: dict[str, str] = field(default_factory=dict)
    """Column (or ``missing_tokens``) -> what changed, e.g. ``integer true -> false``."""
    earlier_batches: int = 0
    earlier_rows: int = 0

    @property
    def table(self) -> str:
        return DatasetTables(self.dataset).raw

    @property
    def summary(self) -> str:
        """What changed, for people: ``added ward (null for 2 earlier batches); dropped fax``."""
        if self.created:
            return f"created {self.table} with {len(self.contract['columns'])} columns"
        earlier = f"{self.earlier_batches} earlier batch{'es' if self.earlier_batches != 1 else ''}"
        parts = (
            [f"first record of {self.table}'s columns, stored values checked"] if self.first_record else []
        )
        parts += [
            f"added {name} ({'null' if default is None else f'default {default!r}'} for {earlier})"
            for name, default in self.added.items()
        ]
        parts += [f"dropped {name}" for name in self.dropped]
        parts += [f"renamed {old} -> {new}" for old, new in self.renamed.items()]
        parts += [
            f"changed {name} ({change}), every stored value fits" for name, change in self.retyped.items()
        ]
        return "; ".join(parts)


def raw_contract(spec: DatasetSpec) -> dict:
    """What the raw table accepts under ``spec``: the missing-value tokens, and per column the
    options that decide which text is a valid value (its type and rules, whether it may be missing)."""
    return {
        "missing_tokens": list(spec.format.missing_tokens),
        "columns": {
            name: {
                **column.model_dump(mode="json", exclude=NOT_IN_CONTRACT),
                "imputable": name in spec.imputation.columns,
            }
            for name, column in spec.columns.items()
        },
    }


def _recorded_contract(connection: duckdb.DuckDBPyConnection, dataset: str) -> dict | None:
    if not table_exists(connection, RAW_MIGRATIONS):
        return None
    rows = connection.execute(
        f"select contract from {RAW_MIGRATIONS} where dataset = ? order by version desc limit 1", [dataset]
    ).fetchall()
    return json.loads(rows[0][0]) if rows else None


def _renames(spec: DatasetSpec, stored_columns: list[str], table: str) -> dict[str, str]:
    """Old key -> new key of each column the spec renames and raw still has under its old key."""
    renamed = {}
    for name, column in spec.columns.items():
        old = column.renamed_from
        if old is None:
            continue
        if old in stored_columns and name in stored_columns:
            raise RawMigrationError(
                f"{table}: column {name!r} says renamed_from: {old!r}, but {table} has both {old!r} and "
                f"{name!r}; remove renamed_from to keep {name!r} and drop {old!r}"
            )
        if name in stored_columns:
            continue  # renamed by an earlier ingestion
        if old not in stored_columns:
            raise RawMigrationError(
                f"{table}: column {name!r} says renamed_from: {old!r}, but {table} has no column {old!r} "
                f"(its columns: {', '.join(stored_columns)})"
            )
        renamed[old] = name
    return renamed


def _contract_change(old: dict, new: dict) -> str:
    """The options that differ, e.g. ``integer true -> false; categories ["A"] -> ["A", "B"]``."""
    changed = [key for key in {**old, **new} if old.get(key) != new.get(key)]
    return "; ".join(f"{key} {json.dumps(old.get(key))} -> {json.dumps(new.get(key))}" for key in changed)


def _retyped(
    recorded: dict | None, contract: dict, stored_as: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """The changes of the kept columns' contracts (column -> what changed), and the kept columns
    whose stored values must be checked (every one when nothing was recorded, or the tokens changed)."""
    if recorded is None:
        return {}, list(stored_as)
    changes = {}
    if recorded["missing_tokens"] != contract["missing_tokens"]:
        changes["missing_tokens"] = (
            f"{json.dumps(recorded['missing_tokens'])} -> {json.dumps(contract['missing_tokens'])}"
        )
    for name, stored in stored_as.items():
        before, after = recorded["columns"].get(stored, {}), contract["columns"][name]
        if before != after:
            changes[name] = _contract_change(before, after)
    checked = (
        list(stored_as) if "missing_tokens" in changes else [name for name in stored_as if name in changes]
    )
    return changes, checked


def _stored_values(
    connection: duckdb.DuckDBPyConnection, table: str, stored_as: dict[str, str]
) -> pd.DataFrame:
    """The stored text of the columns ``stored_as`` names (spec key -> raw column), indexed by row id."""
    selected = ", ".join(
        f"{quote_identifier(stored)} as {quote_identifier(name)}" for name, stored in stored_as.items()
    )
    return connection.execute(f"select _row_id, {selected} from {table}").df().set_index("_row_id")


def _unfilled(name: str, spec: DatasetSpec, incoming: list[pd.DataFrame]) -> str | None:
    """Why the earlier rows cannot do without a value of added column ``name`` (None: they can)."""
    column = spec.columns[name]
    if column.default is not None:
        wrong = value_problems(pd.DataFrame({name: [column.default]}, index=["default"], dtype=object), spec)
        return f"column '{name}': its default does not fit ({'; '.join(wrong)})" if wrong else None
    if name in spec.record_key:
        return f"column '{name}' is part of record_key (null keys would make the earlier records one)"
    if name not in spec.modelled_columns:
        return None  # an identifier, or a column declared empty: never required
    if name not in spec.imputation.columns:
        return f"column '{name}' is required (not in imputation.columns)"
    if spec.partitions is not None:
        return (
            f"column '{name}' is imputed within each day, and no earlier day has a value of it to impute from"
        )
    if not any(read_values(frame[[name]], spec)[0][name].notna().any() for frame in incoming):
        return f"column '{name}' is imputable, but no batch of this run has a value of it to impute from"
    return None


def _refuse_unfilled_added_columns(
    spec: DatasetSpec, migration: RawMigration, incoming: list[pd.DataFrame]
) -> None:
    problems = [problem for name in migration.added if (problem := _unfilled(name, spec, incoming))]
    if problems:
        renamed = (
            f"; if a column of the earlier spec ({', '.join(migration.dropped)}) only has a new key, "
            "say so with renamed_from: <old key>"
        )
        raise RawMigrationError(
            f"{migration.table}: columns added to the spec have no value in the {migration.earlier_rows:,} rows "
            f"of the {migration.earlier_batches} earlier batches, nothing was written: "
            + "; ".join(problems)
            + ". Give each a default: (the value the earlier rows take)"
            + (renamed if migration.dropped else "")
        )


def plan_raw_migration(
    connection: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    stored_columns: list[str] | None,
    incoming: list[pd.DataFrame],
) -> RawMigration | None:
    """What the raw table must change to follow ``spec`` (None: nothing), refusing a change its
    stored values cannot follow with a ``RawMigrationError`` naming the columns and values.

    ``stored_columns``: the raw table's spec columns (lineage aside), None when it does not exist;
    ``incoming``: the rows of the batches this run ingests (what an added column is imputed from).
    """
    contract = raw_contract(spec)
    if stored_columns is None:
        return RawMigration(spec.name, contract, created=True)
    table = DatasetTables(spec.name).raw
    recorded = _recorded_contract(connection, spec.name)
    if recorded == contract and sorted(stored_columns) == sorted(spec.columns):
        return None
    renamed = _renames(spec, stored_columns, table)
    stored_as = {new: old for old, new in renamed.items()}
    stored_as.update({name: name for name in spec.columns if name in stored_columns})
    retyped, checked = _retyped(recorded, contract, stored_as)
    earlier_rows, earlier_batches = connection.execute(
        f"select count(*), count(distinct _batch) from {table}"
    ).fetchall()[0]
    migration = RawMigration(
        spec.name,
        contract,
        first_record=recorded is None,
        added={name: column.default for name, column in spec.columns.items() if name not in stored_as},
        dropped=[name for name in stored_columns if name not in stored_as.values()],
        renamed=renamed,
        retyped=retyped,
        earlier_batches=earlier_batches,
        earlier_rows=earlier_rows,
    )
    if migration.added and earlier_rows:
        _refuse_unfilled_added_columns(spec, migration, incoming)
    if checked and earlier_rows:
        problems = value_problems(
            _stored_values(connection, table, {name: stored_as[name] for name in checked}), spec
        )
        if problems:
            why = (
                "holds batches ingested before what its columns accept was recorded, and their values do "
                "not all fit the spec"
                if migration.first_record
                else "the changed spec does not fit values stored from earlier batches (a type can be "
                "widened, not narrowed below what is stored)"
            )
            raise RawMigrationError(f"{table}: {why}, nothing was written: " + "; ".join(problems))
    return migration


def apply_raw_migration(
    connection: duckdb.DuckDBPyConnection, migration: RawMigration, run_id: str, now: datetime
) -> None:
    """Carry out ``migration`` and record it; call inside the ingestion's transaction."""
    table = migration.table
    for old, new in migration.renamed.items():
        connection.execute(
            f"alter table {table} rename column {quote_identifier(old)} to {quote_identifier(new)}"
        )
    for name in migration.dropped:
        connection.execute(f"alter table {table} drop column {quote_identifier(name)}")
    for name, default in migration.added.items():
        connection.execute(f"alter table {table} add column {quote_identifier(name)} varchar")
        if default is not None:
            connection.execute(f"update {table} set {quote_identifier(name)} = ?", [default])
    _record(connection, migration, run_id, now)


def _record(
    connection: duckdb.DuckDBPyConnection, migration: RawMigration, run_id: str, now: datetime
) -> None:
    connection.execute(f"create schema if not exists {META_SCHEMA}")
    connection.execute(
        f"""create table if not exists {RAW_MIGRATIONS} (
            dataset varchar not null,
            version integer not null,
            migrated_at timestamp not null,
            run_id varchar not null,
            changes varchar not null,
            earlier_batches bigint not null,
            earlier_rows bigint not null,
            contract varchar not null,
            primary key (dataset, version)
        )"""
    )
    connection.execute(
        f"insert into {RAW_MIGRATIONS} select ?, coalesce(max(version), 0) + 1, ?, ?, ?, ?, ?, ? "
        f"from {RAW_MIGRATIONS} where dataset = ?",
        [
            migration.dataset,
            now,
            run_id,
            migration.summary,
            migration.earlier_batches,
            migration.earlier_rows,
            json.dumps(migration.contract, sort_keys=True),
            migration.dataset,
        ],
    )
