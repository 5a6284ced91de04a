"""Generator training: fit the spec's backend on the real training split and store it.

A model version is derived from what it was trained on (spec fingerprint + training data
version), so retraining on unchanged data with a fixed seed reproduces the same version
instead of piling up copies.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import duckdb
import pandas as pd

from accrete.generator.base import FitReport, GeneratorError, ProgressCallback
from accrete.generator.model_store import ModelStore, StoredModel
from accrete.rules.rule_bound import rule_bound_generator
from accrete.spec import DatasetSpec
from accrete.tables import DatasetTables
from accrete.warehouse import read_table, table_exists


def training_data_version(batches: pd.DataFrame) -> str:
    """A fingerprint of the training data: which batches, with which file content.

    ``batches`` has columns ``_batch``, ``_file_sha256`` and ``rows``; an earlier synthetic
    generation a generator also learns from is a batch ``synthetic:<generator version>``.
    """
    canonical = batches.sort_values("_batch").to_csv(index=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def read_training_rows(
    connection: duckdb.DuckDBPyConnection, spec: DatasetSpec
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows a generator learns from, and the batches they came from.

    Always the accumulated real training rows; under ``training_data: real_and_synthetic``
    also every earlier validated synthetic generation. Never synthetic rows alone.
    """
    tables = DatasetTables(spec.name)
    names = spec.training_schema.names
    rows = read_table(connection, tables.train, names)
    batches = connection.execute(
        f"select _batch, _file_sha256, count(*) as rows from {tables.train} group by all"
    ).df()
    if spec.generator.training_data == "real_and_synthetic" and table_exists(connection, tables.generations):
        synthetic = read_table(connection, tables.generations, names)
        generations = connection.execute(
            f"select 'synthetic:' || _generator_version as _batch, _generator_version as _file_sha256, "
            f"count(*) as rows from {tables.generations} group by all"
        ).df()
        rows = pd.concat([rows, synthetic], ignore_index=True)
        batches = pd.concat([batches, generations], ignore_index=True)
    return rows, batches


def model_version(spec: DatasetSpec, data_version: str) -> str:
    """``<backend>-<digest>``, or ``<backend>-dp<epsilon>-<digest>`` for a model trained under a privacy
    budget, so that every synthetic row's ``_generator_version`` says so."""
    digest = hashlib.sha256(f"{spec.fingerprint()}:{data_version}".encode()).hexdigest()[:12]
    privacy = spec.generator.privacy
    marker = "" if privacy is None else f"dp{privacy['epsilon']:g}-"
    return f"{spec.generator.backend}-{marker}{digest}"


def train_generator(
    spec: DatasetSpec,
    training_rows: pd.DataFrame,
    batches: pd.DataFrame,
    store: ModelStore,
    progress: ProgressCallback | None = None,
) -> tuple[StoredModel, FitReport]:
    """Fit the spec's backend on ``training_rows`` and save it as the dataset's latest generator.

    ``batches`` lists what the rows came from (see ``training_data_version``); the manifest
    records it, so later runs know which days a generator has already learned.
    """
    schema = spec.training_schema
    data_version = training_data_version(batches)
    if training_rows.empty:
        raise GeneratorError(f"{spec.name}: the real training split is empty; nothing to train on")
    backend = rule_bound_generator(
        spec.generator.backend,
        schema,
        spec.sampling_rules,
        spec.generator.backend_settings,
        spec.generator.seed,
    )
    report = backend.fit(training_rows[schema.names], progress=progress)
    manifest = {
        "settings": spec.generator.backend_settings,
        "privacy": report.extra.get("privacy"),
        "seed": spec.generator.seed,
        "spec_sha256": spec.fingerprint(),
        "training_data_version": data_version,
        "training_batches": sorted(batches["_batch"]),
        "training_rows": report.rows,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "device": report.device,
        "fit_seconds": round(report.seconds, 3),
        "columns": schema.names,
    }
    stored = store.save(spec.name, model_version(spec, data_version), backend, manifest)
    return stored, report
