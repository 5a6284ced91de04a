"""The folder a distributed fit runs in: what the torchrun launcher writes and each worker reads.

- ``job.json``: the schema, settings and seed of the backend to train.
- ``train.parquet``: the training table, the schema's columns.
- ``model/``: the trained model, saved by rank 0.
- ``report.json``: rank 0's FitReport.

Rank 0 also prints each progress event on its standard output as one line, PROGRESS_PREFIX
followed by the event's JSON, which the launcher relays.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from accrete.table_schema import ModelColumn, TableSchema

PROGRESS_PREFIX = "ACCRETE_PROGRESS "
DATA_FILE = "train.parquet"
JOB_FILE = "job.json"
MODEL_DIR = "model"
REPORT_FILE = "report.json"


def schema_to_json(schema: TableSchema) -> list[dict[str, Any]]:
    """``schema``'s columns as JSON-serialisable dicts."""
    return [dataclasses.asdict(column) for column in schema.columns]


def schema_from_json(columns: list[dict[str, Any]]) -> TableSchema:
    """The schema ``schema_to_json`` wrote."""
    return TableSchema(
        columns=tuple(
            ModelColumn(**{**column, "categories": tuple(column["categories"])}) for column in columns
        )
    )
