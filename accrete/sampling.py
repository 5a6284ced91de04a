"""Synthetic sampling: rows from a stored generator, typed like the real data, with provenance."""

from __future__ import annotations

import zlib

import pandas as pd

from accrete.generators.base import GeneratorBackend
from accrete.model_store import StoredModel
from accrete.table_schema import TableSchema


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
            values = pd.to_datetime(values)
        else:
            values = values.astype("string")
        conformed[column.name] = values
    return conformed


def sample_synthetic(
    backend: GeneratorBackend, stored: StoredModel, schema: TableSchema, num_rows: int, run_id: str
) -> pd.DataFrame:
    """``num_rows`` synthetic rows with provenance columns (source, generator version, run id)."""
    rows = conform_to_schema(backend.sample(num_rows, seed=sampling_seed(stored.version)), schema)
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
