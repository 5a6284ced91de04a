"""Synthetic sampling: rows from a stored generator, typed like the real data, with provenance."""

from __future__ import annotations

import zlib

import duckdb
import pandas as pd

from accrete.generator.base import GeneratorBackend
from accrete.generator.model_store import StoredModel
from accrete.rules.rule_bound import RuleBoundGenerator
from accrete.spec import SyntheticSpec
from accrete.synthetic.fairness import sample_fair
from accrete.synthetic.rebalance import sample_with_shares
from accrete.synthetic.rule_redraws import redraw_rule_breakers
from accrete.table_schema import TableSchema


def synthetic_generator_version(connection: duckdb.DuckDBPyConnection, table: str) -> str:
    """The generator version that made the rows of a synthetic ``table`` ("none" when it is empty)."""
    version = connection.execute(f"select any_value(_generator_version) from {table}").fetchall()[0][0]
    return version or "none"


def sampling_seed(version: str) -> int:
    """A seed fixed by the model version: sampling the same version again gives the same rows."""
    return zlib.crc32(version.encode())


def conform_to_schema(frame: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Cast sampled columns to the training table's types (integers stay integers, flags booleans)."""
    conformed = pd.DataFrame(index=frame.index)
    for column in schema.columns:
        values = frame[column.name]
        if column.kind == "numerical" and column.integer:
            values = pd.to_numeric(values).round().astype("Int64")
        elif column.kind == "numerical":
            values = pd.to_numeric(values).astype("Float64")
        elif column.kind == "boolean":
            values = values.astype("boolean")
        elif column.kind == "datetime":
            # microseconds, as the warehouse stores timestamps: real and synthetic compare like for like
            values = pd.to_datetime(values).astype("datetime64[us]")
        else:
            values = values.astype("string")
        conformed[column.name] = values
    return conformed


def draw_rows(backend: GeneratorBackend, synthetic: SyntheticSpec, seed: int) -> pd.DataFrame:
    """The spec's number of rows, with its conditions, target group shares and fairness applied exactly."""
    conditions = synthetic.conditions or None
    if synthetic.fairness is not None:
        rebalance = synthetic.rebalance
        return sample_fair(
            backend,
            synthetic.rows,
            synthetic.fairness.target,
            synthetic.fairness.sensitive,
            seed=seed,
            conditions=conditions,
            shares={rebalance.column: rebalance.shares} if rebalance else None,
        )
    if synthetic.rebalance is None:
        return backend.sample(synthetic.rows, conditions=conditions, seed=seed)
    return sample_with_shares(
        backend,
        synthetic.rows,
        synthetic.rebalance.column,
        synthetic.rebalance.shares,
        seed=seed,
        conditions=conditions,
    )


def controlled_columns(synthetic: SyntheticSpec) -> list[str]:
    """Columns whose values sampling sets row by row: the rebalanced one, fairness's two."""
    columns = [synthetic.rebalance.column] if synthetic.rebalance else []
    if synthetic.fairness is not None:
        columns += [
            name for name in (synthetic.fairness.target, synthetic.fairness.sensitive) if name not in columns
        ]
    return columns


def draw_rows_keeping_rules(
    backend: GeneratorBackend, synthetic: SyntheticSpec, seed: int
) -> tuple[pd.DataFrame, dict[str, int]]:
    """``draw_rows``, then the rows breaking a rule of a rule-bound generator drawn again; with the
    count of redrawn rows per rule (empty without rules)."""
    rows = draw_rows(backend, synthetic, seed)
    if not isinstance(backend, RuleBoundGenerator):
        return rows, {}
    return redraw_rule_breakers(backend, rows, synthetic.conditions, controlled_columns(synthetic), seed)


def sample_synthetic(
    backend: GeneratorBackend, stored: StoredModel, schema: TableSchema, synthetic: SyntheticSpec, run_id: str
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Synthetic rows as the spec asks, with provenance columns (source, generator version, run id);
    and per rule, how many rows had to be drawn again to keep it."""
    drawn, redrawn = draw_rows_keeping_rules(backend, synthetic, sampling_seed(stored.version))
    rows = conform_to_schema(drawn, schema)
    provenance = pd.DataFrame(
        {
            "_source": "synthetic",
            "_real_partition": pd.Series([None] * len(rows), dtype="string"),
            "_real_row_id": pd.Series([None] * len(rows), dtype="string"),
            "_generator_version": stored.version,
            "_run_id": run_id,
            "_synthetic_row": range(len(rows)),
        },
        index=rows.index,
    )
    return pd.concat([provenance, rows], axis=1), redrawn
