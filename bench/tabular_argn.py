"""MOSTLY AI's TabularARGN (``mostlyai-engine``) as a benchmark peer: fit on a frame, sample frames.

The engine's own pipeline on a workspace folder: ``split`` (its 80/20 training/validation split
for early stopping), ``analyze``, ``encode``, ``train`` with the default model (``MOSTLY_AI/Medium``,
its default epochs and early stopping), then ``generate``, whose rows are read back from the
workspace's Parquet files. Every column gets the encoding type of its schema kind (numbers
``TABULAR_NUMERIC_AUTO``, datetimes ``TABULAR_DATETIME``, categories and booleans
``TABULAR_CATEGORICAL``, booleans as the text ``True``/``False``); the engine's defaults stay
otherwise, value protection included (rare categories come back as ``_RARE_``, numbers are
clipped to privacy-safe bounds). With ``epsilon``, training is differentially private
(Opacus, the engine's ``differential_privacy``): the engine stops when the spent budget would
exceed ``epsilon`` and keeps the best checkpoint within it; the value-protection statistics
take ``VALUE_PROTECTION_SHARE`` of that budget (the engine's default ratio, 1 of 10).
Needs ``.venv-bench`` (``make bench-install``); runs offline.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from mostlyai import engine  # noqa: E402  (after the offline switches)
from mostlyai.engine.domain import DifferentialPrivacyConfig, ModelEncodingType  # noqa: E402

from accrete.synthetic.sample import conform_to_schema  # noqa: E402
from accrete.table_schema import TableSchema  # noqa: E402

VALUE_PROTECTION_SHARE = 0.1
"""Share of a private run's epsilon spent on the value-protection statistics (``analyze``)."""
ENCODING = {
    "numerical": ModelEncodingType.tabular_numeric_auto,
    "datetime": ModelEncodingType.tabular_datetime,
    "categorical": ModelEncodingType.tabular_categorical,
    "boolean": ModelEncodingType.tabular_categorical,
}


def engine_frame(frame: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """``frame`` in plain dtypes the engine reads: nullable integers as floats when they hold
    missing values, booleans as text, categories as object text."""
    converted = pd.DataFrame(index=frame.index)
    for column in schema.columns:
        values = frame[column.name]
        if column.kind == "boolean":
            values = values.map(lambda value: None if pd.isna(value) else str(bool(value))).astype(object)
        elif column.kind == "categorical":
            values = values.astype(object).where(values.notna(), None)
        elif column.kind == "numerical":
            values = pd.to_numeric(values).astype("float64")
            if column.integer and not values.isna().any():
                values = values.astype("int64")
        converted[column.name] = values
    return converted.reset_index(drop=True)


def _from_engine(frame: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Generated rows typed like the training table (a boolean other than True/False is missing)."""
    frame = frame.copy()
    for column in schema.columns:
        if column.kind == "boolean":
            frame[column.name] = frame[column.name].astype(str).map({"True": True, "False": False})
    return conform_to_schema(frame, schema)


def _privacy(epsilon: float | None, delta: float) -> DifferentialPrivacyConfig | None:
    if epsilon is None:
        return None
    return DifferentialPrivacyConfig(
        max_epsilon=epsilon, delta=delta, value_protection_epsilon=epsilon * VALUE_PROTECTION_SHARE
    )


class TabularARGN:
    """One TabularARGN model in its own workspace folder."""

    def __init__(self, schema: TableSchema, workspace: Path, seed: int = 0):
        self.schema = schema
        self.workspace = Path(workspace)
        self.seed = seed

    def fit(
        self,
        train: pd.DataFrame,
        epsilon: float | None = None,
        delta: float = 1e-5,
        max_minutes: float | None = None,
    ) -> dict[str, Any]:
        """Split, analyze, encode and train on ``train`` (private with ``epsilon``; ``max_minutes``:
        the engine's training-time budget, None: its default); what training reported: epochs
        run, the best checkpoint's epoch and, when private, its epsilon."""
        engine.set_random_state(self.seed)
        privacy = _privacy(epsilon, delta)
        engine.split(
            tgt_data=engine_frame(train, self.schema),
            tgt_encoding_types={column.name: ENCODING[column.kind] for column in self.schema.columns},
            workspace_dir=self.workspace,
        )
        engine.analyze(differential_privacy=privacy, workspace_dir=self.workspace)
        engine.encode(workspace_dir=self.workspace)
        engine.train(
            differential_privacy=privacy.model_dump() if privacy else None,
            max_training_time=max_minutes,
            device="cpu",
            workspace_dir=self.workspace,
        )
        return self._training_report()

    def _training_report(self) -> dict[str, Any]:
        progress = pd.read_csv(self.workspace / "ModelStore" / "model-data" / "progress-messages.csv")
        report: dict[str, Any] = {"epochs": float(progress["epoch"].max())}
        checkpoints = progress[progress["is_checkpoint"].astype(bool)]
        if not checkpoints.empty:
            best = checkpoints.iloc[-1]
            report["checkpoint_epoch"] = float(best["epoch"])
            if "dp_eps" in best and pd.notna(best["dp_eps"]):
                report["epsilon"] = float(best["dp_eps"])
                report["delta"] = float(best["dp_delta"])
        return report

    def sample(self, rows: int, seed: int) -> pd.DataFrame:
        """``rows`` generated rows, typed like the training table (decoding included)."""
        engine.set_random_state(seed)
        engine.generate(sample_size=rows, device="cpu", workspace_dir=self.workspace)
        generated = pd.read_parquet(self.workspace / "SyntheticData")
        return _from_engine(generated, self.schema)
