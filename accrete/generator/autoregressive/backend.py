"""Accrete's own generator: an autoregressive torch model over tokenised columns.

Columns are encoded to tokens (``encoders``), the network (``network``) learns each column's
distribution given the columns before it (``trainer``), and sampling (``sampler``) draws the
columns in order. Conditioned columns are placed first and fixed, so conditional sampling is
exact and costs the same as unconditional sampling.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from accrete.generator.autoregressive import process_group
from accrete.generator.autoregressive.device import resolve_device, torch_threads
from accrete.generator.autoregressive.encoders import ColumnEncoder, make_encoder
from accrete.generator.autoregressive.network import AutoregressiveNet, FactorizedHead
from accrete.generator.autoregressive.sampler import TokenCombinations, sample_rows
from accrete.generator.autoregressive.settings import MODEL_SHAPE_SETTINGS, validate_settings
from accrete.generator.autoregressive.torchrun_launcher import fit_with_torchrun
from accrete.generator.autoregressive.trainer import TrainingRun
from accrete.generator.base import FitReport, GeneratorBackend, GeneratorError, ProgressCallback
from accrete.generator.privacy_budget import PrivacyBudget, private_schema_problems
from accrete.table_schema import TableSchema

MODEL_FILE = "model.pt"
MANIFEST_FILE = "generator.json"
MODEL_FORMAT = "accrete-autoregressive"
FORMAT_VERSION = 2
"""2: numbers may hold offset tokens (``NumericalEncoder.fit_relations``). ``load`` reads every version up to this one."""


def modelling_order(encoders: list[ColumnEncoder], column_order: str) -> list[ColumnEncoder]:
    """The encoders in the order the network models their columns.

    ``auto``: label columns (categories, booleans) first, those with the most tokens first, then
    numbers and datetimes in schema order, so that a key such as a flight number is drawn before
    the route and schedule it determines. ``schema``: the schema's order.
    """
    if column_order == "schema":
        return encoders
    labels = [encoder for encoder in encoders if not encoder.places_within_bins]
    labels.sort(key=lambda encoder: -encoder.vocab_size)  # stable: ties keep the schema's order
    return labels + [encoder for encoder in encoders if encoder.places_within_bins]


def _decodes_exactly(encoder: ColumnEncoder, tokens: np.ndarray, values: pd.Series) -> np.ndarray:
    """Which ``values`` their ``tokens`` decode back to exactly, wherever within a bin (missing: missing)."""
    positions = (
        (np.zeros(len(tokens)), np.full(len(tokens), 0.999)) if encoder.places_within_bins else (None,)
    )
    wanted = pd.Series(values).reset_index(drop=True)
    exact = np.ones(len(tokens), dtype=bool)
    for within in positions:
        decoded = pd.Series(encoder.decode(tokens, within)).reset_index(drop=True)
        same = (decoded.astype(object) == wanted.astype(object)).to_numpy(dtype=bool, na_value=False)
        exact &= same | (decoded.isna() & wanted.isna()).to_numpy()
    return exact


class AutoregressiveBackend(GeneratorBackend):
    """Autoregressive model over discretised columns (the default Accrete backend).

    Settings (all optional; an unknown key or a bad value raises GeneratorError naming it):

    - ``epochs`` (int, 100): most passes over the training rows.
    - ``batch_size`` (int, 512): rows per optimisation step (across all processes).
    - ``learning_rate`` (float, 0.003): Adam step size.
    - ``hidden`` (int, 32): width of the embeddings and of each column's hidden layer.
    - ``bins`` (int, 32): tokens per numerical column (point masses plus quantile bins).
    - ``rare_category_min_count`` (int, 5): a category seen fewer times is never emitted verbatim.
    - ``column_order`` ("auto" | "schema", "auto"): the order in which the network models the
      columns (see ``modelling_order``); a saved model keeps its own.
    - ``validation_fraction`` (float, 0.1): rows held out for early stopping.
    - ``patience`` (int, 5): epochs without a better validation loss before stopping.
    - ``max_seconds`` (float or None, 50): training time budget (encoding comes before it),
      checked after every optimisation step: an epoch that outlasts it is cut short, leaving the
      time its validation took the epoch before, and the best validated weights are kept (a first
      epoch cut short is the model, unvalidated; see ``trainer``). The report's
      ``extra["epochs_run"]`` (and each progress event's ``epoch_fraction``) shows a partial epoch.
    - ``device`` ("auto" | "cpu" | "cuda", "auto"): CUDA trains under bf16 autocast with the
      encoded table resident on the GPU.
    - ``compile`` ("auto" | true | false, "auto"): ``torch.compile`` the training step
      (``auto``: on CUDA only, where it pays).
    - ``checkpoint_dir`` (str or None): write a checkpoint after every epoch there.
    - ``resume`` (bool, true): continue from the checkpoint in ``checkpoint_dir`` when it was
      written for the same data, settings and seed.
    - ``distributed_processes`` (int, 1): more than 1 trains with DDP in that many processes
      launched by ``torchrun`` (gloo on the CPU, NCCL on GPUs).
    - ``threads`` (int or None, 1): CPU threads for torch during fit (None: torch's default).
      Training steps are small, so one thread per process is usually the fastest, and far faster
      than several threads on a busy machine; scale out with processes.
    - ``sample_threads`` (int or None, None): threads drawing 4,096-row chunks in parallel while
      sampling (None: every core this process may use). Each runs torch on one thread, in place
      of torch's own intra-op threads. The rows drawn do not depend on this setting.
    - ``privacy`` (mapping or None, None): train with differential privacy under this budget
      (``accrete.generator.privacy_budget.PrivacyBudget``: epsilon, delta, ...; a spec's
      ``generator.privacy``). The encoders then read only the schema and noisy histograms, and
      training is DP-SGD (``trainer``, ``private_training``); what was spent is ``privacy``.
    """

    name = "autoregressive"

    def __init__(self, schema: TableSchema, settings: dict[str, Any] | None = None, seed: int = 0):
        super().__init__(schema, settings, seed)
        self.config = validate_settings(self.settings)
        self.encoders: list[ColumnEncoder] = []
        """One per column, in the order the network models them."""
        self.net: AutoregressiveNet | None = None
        self.combinations: dict[str, TokenCombinations] = {}
        """Per rule, the token combinations sampled rows keep (``keep_combinations``)."""
        self.privacy: dict[str, Any] | None = None
        """What a private fit spent, and how (``private_training``); None: trained without privacy."""

    def _fit_encoders(self, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, float]:
        """The training rows as tokens, as the tokens a condition on each value would fix
        (``_encode``), and the epsilon the encoders spent (0 without privacy)."""
        encoders = [
            make_encoder(column, self.config["bins"], self.config["rare_category_min_count"])
            for column in self.schema.columns
        ]
        spent = 0.0
        if self.config["privacy"] is None:
            for encoder in encoders:
                encoder.fit(data[encoder.column.name])
        else:
            spent = self._fit_encoders_privately(encoders, data)
        self.encoders = modelling_order(encoders, self.config["column_order"])
        if self.config["privacy"] is None:  # which columns equal which is read from the rows
            self._fit_relations(data)
        return *self._encode(data), spent

    def _fit_relations(self, data: pd.DataFrame) -> None:
        """Give each number a token per earlier number it often equals, and offset tokens from the
        one it often lies near (``NumericalEncoder.fit_relations``)."""
        earlier: dict[str, pd.Series] = {}
        for encoder in self.encoders:
            if encoder.kind == "numerical":
                encoder.fit_relations(data[encoder.column.name], earlier)
                earlier[encoder.column.name] = data[encoder.column.name]

    def _encode(self, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns) tokens of ``data``, copy and offset tokens included; and the tokens a
        condition on each value fixes (``condition_token``: its own bin, never a copy or offset,
        which depend on the value of another column)."""
        columns, conditions = [], []
        for encoder in self.encoders:
            values = data[encoder.column.name]
            tokens = encoder.encode(values)
            conditions.append(tokens.copy())
            if encoder.copies:
                tokens = encoder.with_copy_tokens(tokens, values, [data[name] for name in encoder.copies])
            if encoder.near:
                tokens = encoder.with_near_tokens(tokens, values, data[encoder.near])
            columns.append(tokens)
        return np.stack(columns, axis=1), np.stack(conditions, axis=1)

    def _fit_encoders_privately(self, encoders: list[ColumnEncoder], data: pd.DataFrame) -> float:
        """Lay the tokens out under the privacy budget; the epsilon spent, shared evenly by the
        columns that need a noisy histogram."""
        budget = PrivacyBudget.from_setting(self.config["privacy"])
        problems = private_schema_problems(self.schema)
        incomplete = [name for name in self.schema.names if data[name].isna().any()]
        if incomplete:
            problems.append(f"columns {incomplete} have missing values (impute them: imputation.columns)")
        if problems:
            raise GeneratorError("privacy: " + "; ".join(problems))
        histograms = sum(encoder.needs_private_histogram for encoder in encoders)
        share = budget.statistics_epsilon / histograms if histograms else 0.0
        rng = np.random.default_rng(secrets.randbits(63))  # the noise is secret: see private_training
        for encoder in encoders:
            encoder.fit_private(data[encoder.column.name], share, rng)
        return share * histograms

    def _build_net(self) -> AutoregressiveNet:
        return AutoregressiveNet(
            [encoder.vocab_size for encoder in self.encoders],
            self.config["hidden"],
            [torch.from_numpy(encoder.allowed_tokens()) for encoder in self.encoders],
        )

    def fit(self, data: pd.DataFrame, progress: ProgressCallback | None = None) -> FitReport:
        missing = [name for name in self.schema.names if name not in data.columns]
        if missing:
            raise GeneratorError(f"training data lacks the schema's columns: {', '.join(missing)}")
        processes = self.config["distributed_processes"]
        if processes > 1 and not process_group.in_process_group():
            trained, report = fit_with_torchrun(self, processes, data, progress)
            self.encoders, self.net = trained.encoders, trained.net
            return report
        started = time.perf_counter()
        tokens, condition_tokens, statistics_epsilon = self._fit_encoders(data)
        if len(tokens) < 2:
            raise GeneratorError("autoregressive: need at least 2 training rows")
        device = resolve_device(self.config["device"])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.net = self._build_net()
        with torch_threads(self.config["threads"]):
            run = TrainingRun(
                self.net, tokens, self.config, self.seed, device, statistics_epsilon, condition_tokens
            )
            report = run.train(progress)
        self.net = run.net.cpu().eval()
        report.seconds = time.perf_counter() - started
        if "privacy" in report.extra:
            training = report.extra["privacy"]
            self.privacy = report.extra["privacy"] = {
                **self.config["privacy"],
                "epsilon_spent": statistics_epsilon + training["training_epsilon_spent"],
                "statistics_epsilon_spent": statistics_epsilon,
                **training,
            }
        return report

    def sample(
        self, num_rows: int, conditions: dict[str, Any] | None = None, seed: int | None = None
    ) -> pd.DataFrame:
        if self.net is None:
            raise GeneratorError("autoregressive: sample() called before fit() or load()")
        conditions = dict(conditions or {})
        unknown = [name for name in conditions if name not in self.schema.names]
        if unknown:
            raise GeneratorError(f"conditions name columns not in the schema: {', '.join(unknown)}")
        sample_seed = self.seed if seed is None else seed
        workers = self.config["sample_threads"] or len(os.sched_getaffinity(0))
        return sample_rows(
            self.net,
            self.encoders,
            self.schema.names,
            num_rows,
            conditions,
            sample_seed,
            workers,
            self.combinations,
        )

    def keep_combinations(self, combinations: dict[str, pd.DataFrame]) -> list[str]:
        """Masks sampling to each frame's combinations, as tokens; returns the rules it cannot keep.

        A combination is kept as tokens when every value of it has a token of its own that decodes
        to exactly that value (a category, a flag, a number frequent enough to be a point mass).
        Combinations holding a value the model never emits verbatim (a pooled rare category) are
        left out, so sampling never emits them. A rule over a number inside a quantile bin, or over
        a column of thousands of tokens (a factorized head), cannot be masked and is returned.
        """
        if self.net is None:
            raise GeneratorError("autoregressive: keep_combinations() called before fit() or load()")
        index = {encoder.column.name: position for position, encoder in enumerate(self.encoders)}
        self.combinations, unkept = {}, []
        for name, frame in combinations.items():
            positions = [index[column] for column in frame.columns]
            if any(isinstance(self.net.heads[position], FactorizedHead) for position in positions):
                unkept.append(name)
                continue
            tokens, exact, every_number_exact = [], np.ones(len(frame), dtype=bool), True
            for position, column in zip(positions, frame.columns, strict=True):
                encoder = self.encoders[position]
                column_tokens = encoder.encode(frame[column])
                column_exact = _decodes_exactly(encoder, column_tokens, frame[column])
                every_number_exact &= not encoder.places_within_bins or bool(column_exact.all())
                tokens.append(column_tokens)
                exact &= column_exact
            if not every_number_exact or not exact.any():
                unkept.append(name)
                continue
            kept = torch.from_numpy(np.stack(tokens, axis=1)[exact]).unique(dim=0)
            self.combinations[name] = TokenCombinations(tuple(positions), kept)
        return unkept

    def save(self, directory: Path) -> list[Path]:
        if self.net is None:
            raise GeneratorError("autoregressive: save() called before fit()")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        model_path = directory / MODEL_FILE
        # serialized in memory, written by Python: a full disk then raises OSError (ENOSPC), where
        # torch's own file writer fails with an opaque "unexpected pos" error
        weights = io.BytesIO()
        torch.save(self.net.state_dict(), weights)
        model_path.write_bytes(weights.getvalue())
        manifest = {
            "format": MODEL_FORMAT,
            "format_version": FORMAT_VERSION,
            "seed": self.seed,
            "settings": {**self.settings, **{name: self.config[name] for name in MODEL_SHAPE_SETTINGS}},
            "privacy": self.privacy,
            "columns": [
                {"name": encoder.column.name, "kind": encoder.kind, "encoder": encoder.state()}
                for encoder in self.encoders
            ],
        }
        manifest_path = directory / MANIFEST_FILE
        manifest_path.write_text(json.dumps(manifest, indent=1))
        return [model_path, manifest_path]

    @classmethod
    def load(cls, directory: Path, schema: TableSchema) -> AutoregressiveBackend:
        directory = Path(directory)
        try:
            manifest = json.loads((directory / MANIFEST_FILE).read_text())
        except (OSError, ValueError) as error:
            raise GeneratorError(f"autoregressive: no readable {MANIFEST_FILE} in {directory}") from error
        if not isinstance(manifest, dict) or manifest.get("format") != MODEL_FORMAT:
            raise GeneratorError(
                f"autoregressive: {directory / MANIFEST_FILE} is not an Accrete model manifest"
            )
        if manifest.get("format_version", 1) > FORMAT_VERSION:
            raise GeneratorError(
                f"autoregressive: {directory} holds a model of format version {manifest['format_version']}, "
                f"written by a newer Accrete; this one reads versions up to {FORMAT_VERSION}: upgrade it"
            )
        saved_names = [column["name"] for column in manifest["columns"]]  # in modelling order
        if sorted(saved_names) != sorted(schema.names):
            raise GeneratorError(
                f"autoregressive: the saved model's columns {saved_names} "
                f"differ from the schema's {schema.names}"
            )
        backend = cls(schema, manifest["settings"], manifest["seed"])
        backend.privacy = manifest.get("privacy")
        backend.encoders = [
            make_encoder(
                schema.column(saved["name"]),
                backend.config["bins"],
                backend.config["rare_category_min_count"],
            ).restore(saved["encoder"])
            for saved in manifest["columns"]
        ]
        net = backend._build_net()
        try:
            state = torch.load(directory / MODEL_FILE, map_location="cpu", weights_only=True)
            net.load_state_dict(state, strict=True)
        except Exception as error:  # torch raises many types for a foreign or corrupt file
            raise GeneratorError(
                f"autoregressive: {directory / MODEL_FILE} is not a model file "
                f"written by this backend: {error}"
            ) from error
        backend.net = net.eval()
        return backend
