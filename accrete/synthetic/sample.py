"""Synthetic sampling: rows from a stored generator, typed like the real data, with provenance."""

from __future__ import annotations

import zlib

import duckdb
import pandas as pd

from accrete.generator.base import GeneratorBackend
from accrete.generator.model_store import StoredModel
from accrete.spec import SyntheticSpec
from accrete.synthetic.rebalance import sample_with_shares
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
    """The spec's number of rows, with its conditions and target group shares applied exactly."""
    conditions = synthetic.conditions or None
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


def sample_synthetic(
    backend: GeneratorBackend, stored: StoredModel, schema: TableSchema, synthetic: SyntheticSpec, run_id: str
) -> pd.DataFrame:
    """Synthetic rows as the spec asks, with provenance columns (source, generator version, run id)."""
    rows = conform_to_schema(draw_rows(backend, synthetic, sampling_seed(stored.version)), schema)
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
    return pd.concat([provenance, rows], axis=1)
