"""The training loop of the autoregressive generator.

Deterministic given the seed: the validation split, the shuffles and the conditioning
masks come from seeded generators whose states go into each checkpoint, so a training
resumed from a checkpoint ends with the same weights as an uninterrupted one. Stops on
the epoch limit, on ``patience`` epochs without a better validation loss (keeping the
best weights), or when ``max_seconds`` is spent. Under DDP every process sees its share
of each batch and all of them agree on when to stop.

The time budget is also checked within an epoch, after every optimisation step (every
``BUDGET_CHECK_STEPS`` under DDP), so a table whose one epoch outlasts the budget still gets its
model within it; the report says how much of the last epoch ran (``epochs_run``). A later epoch
is cut short when the time left is what its validation took last time, and is then validated like
a whole one: its weights compete for the best on the same held-out rows. A first epoch cut short
is not validated: the budget is spent, and its weights, the only trained ones, are the model
(its validation loss is None). Reading the clock touches no random state: a run that ends before
its budget (or has none) trains the same weights as it would without the check.

Under a privacy budget (``privacy`` setting) the steps are DP-SGD steps (``private_training``) and
nothing is held out: every row trains, there is no validation loss, no early stopping and no
learning-rate decay (choosing weights by their loss on held-out rows would read those rows without
noise). Training stops when the planned private steps are taken (``privacy_budget``), or on the
time budget, and the last weights are the model.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from accrete.generator.autoregressive import process_group
from accrete.generator.autoregressive.network import AutoregressiveNet, seen_masks
from accrete.generator.autoregressive.private_training import PrivateSteps
from accrete.generator.base import FitReport, ProgressCallback
from accrete.generator.privacy_budget import PrivacyBudget

CONDITION_SHARE = 0.5
"""Share of training rows that also see random conditioned columns (teaches conditional sampling)."""
LEARNING_RATE_DECAY = 0.5
CHECKPOINT_FILE = "autoregressive-checkpoint.pt"
VALIDATION_CHUNK_ROWS = 8_192
BUDGET_CHECK_STEPS = 8
"""Optimisation steps between two looks at the clock under ``max_seconds`` and DDP, where each look
is one all-reduce so that every process stops after the same step (one process looks every step)."""
SETTINGS_OUTSIDE_FINGERPRINT = (
    "checkpoint_dir",
    "resume",
    "max_seconds",
    "device",
    "compile",
    "epochs",
    "patience",
)
"""Settings that may change between an interrupted training and its resumption."""


class TrainingRun:
    """One training of ``net`` on encoded ``tokens`` (rows x columns)."""

    def __init__(
        self,
        net: AutoregressiveNet,
        tokens: np.ndarray,
        config: dict[str, Any],
        seed: int,
        device: torch.device,
        statistics_epsilon: float = 0.0,
        condition_tokens: np.ndarray | None = None,
    ):
        """``statistics_epsilon``: what the encoder already spent of a privacy budget;
        ``condition_tokens``: the rows as the tokens a condition on each value fixes, where they
        differ from ``tokens`` (a copy or offset token stands for a value relative to another
        column, a condition fixes the value's own bin); a column a training row shows as a
        condition is observed by the others as those, as sampling will show it (and still
        predicted as itself)."""
        self.config = config
        self.device = device
        self.rank, self.world = process_group.rank(), process_group.world_size()
        table = torch.from_numpy(tokens)
        order = torch.randperm(len(table), generator=torch.Generator().manual_seed(seed))
        budget = config["privacy"]
        validation_rows = min(len(table) - 1, max(1, round(len(table) * config["validation_fraction"])))
        if budget is not None:
            validation_rows = 0  # nothing held out under a privacy budget (see the module's docstring)
        self.validation = table[order[:validation_rows]].to(device)
        self.train_rows = table[order[validation_rows:]].to(device)
        self.train_conditions = None
        if condition_tokens is not None and not np.array_equal(condition_tokens, tokens):
            self.train_conditions = torch.from_numpy(condition_tokens)[order[validation_rows:]].to(device)
        self.net = net.to(device)
        self.model = process_group.wrap(self.net, device) if self.world > 1 else self.net
        compiles = config["compile"] is True or (config["compile"] == "auto" and device.type == "cuda")
        if compiles and budget is None:
            self.model = torch.compile(self.model)
        # The fused implementation updates all parameters in one kernel.
        learning_rate = config["learning_rate"] if budget is None else budget["learning_rate"]
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=learning_rate, fused=True)
        self.private = (
            None
            if budget is None
            else PrivateSteps(
                self.net,
                PrivacyBudget.from_setting(budget),
                budget["epsilon"] - statistics_epsilon,
                len(self.train_rows),
                CONDITION_SHARE,
                device,
            )
        )
        self.shuffle_generator = torch.Generator().manual_seed(seed + 1)
        self.mask_generator = torch.Generator(device=device).manual_seed(seed + 2 + self.rank)
        settings = {k: v for k, v in config.items() if k not in SETTINGS_OUTSIDE_FINGERPRINT}
        digest = hashlib.sha256(tokens.tobytes())
        digest.update(json.dumps([settings, seed, list(tokens.shape)], sort_keys=True).encode())
        self.fingerprint = digest.hexdigest()
        self.autocast = {
            "device_type": device.type,
            "dtype": torch.bfloat16,
            "enabled": device.type == "cuda",
        }

    def _train_epoch(self, deadline: float | None) -> tuple[float, float]:
        """One pass over the shuffled training rows, cut short once the ``time.perf_counter`` time
        ``deadline`` has passed in any process (None: never); the mean loss of the steps taken and
        their share of the epoch's steps."""
        rows = len(self.train_rows)
        batch = min(self.config["batch_size"], rows)
        per_process = max(1, batch // self.world)
        order = torch.randperm(rows, generator=self.shuffle_generator).to(self.device)
        columns = self.train_rows.shape[1]
        total = torch.zeros((), device=self.device)
        steps = taken = rows // batch
        check_every = BUDGET_CHECK_STEPS if self.world > 1 else 1
        for step in range(steps):
            start = step * batch + self.rank * per_process
            rows_here = order[start : start + per_process]
            tokens = self.train_rows[rows_here]
            seen = seen_masks(len(tokens), columns, CONDITION_SHARE, self.mask_generator, self.device)
            shown = None
            if self.train_conditions is not None:  # the first column sees exactly the conditioned others
                shown = torch.where(seen[:, 0, :] > 0, self.train_conditions[rows_here], tokens)
            with torch.autocast(**self.autocast):
                loss = self.model(tokens, seen, shown)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += loss.detach()
            looks = deadline is not None and (step + 1) % check_every == 0 and step + 1 < steps
            if looks and process_group.any_process(time.perf_counter() >= deadline, self.device):
                taken = step + 1
                break
        return float(total) / taken, taken / steps

    def _train_private_epoch(self, deadline: float | None) -> tuple[float, float]:
        """An epoch's worth of DP-SGD steps (fewer when the planned steps run out), cut short like
        ``_train_epoch`` at ``deadline``; the mean loss of the steps taken and their share."""
        steps = min(self.private.steps_per_epoch, self.private.steps_left)
        total, taken = 0.0, steps
        for step in range(steps):
            total += self.private.step(self.train_rows, self.mask_generator, self.optimizer)
            if deadline is not None and step + 1 < steps and time.perf_counter() >= deadline:
                taken = step + 1
                break
        return total / taken, taken / steps

    def _validation_loss(self) -> float:
        columns = self.validation.shape[1]
        total = 0.0
        with torch.inference_mode(), torch.autocast(**self.autocast):
            for start in range(0, len(self.validation), VALIDATION_CHUNK_ROWS):
                tokens = self.validation[start : start + VALIDATION_CHUNK_ROWS]
                seen = seen_masks(len(tokens), columns, 0.0, self.mask_generator, self.device)
                total += float(self.net(tokens, seen)) * len(tokens)
        return total / len(self.validation)

    def _checkpoint_path(self) -> Path | None:
        directory = self.config["checkpoint_dir"]
        return Path(directory) / CHECKPOINT_FILE if directory else None

    def _load_checkpoint(self) -> dict[str, Any] | None:
        path = self._checkpoint_path()
        if path is None or not self.config["resume"] or not path.exists():
            return None
        state = torch.load(path, map_location="cpu", weights_only=True)
        if state.get("fingerprint") != self.fingerprint:
            return None
        self.net.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.shuffle_generator.set_state(state["shuffle_generator"])
        self.mask_generator.set_state(state["mask_generator"].to(self.mask_generator.get_state().device))
        return state

    def _save_checkpoint(self, progress_state: dict[str, Any]) -> None:
        path = self._checkpoint_path()
        if path is None or self.rank != 0:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {
            **progress_state,
            "fingerprint": self.fingerprint,
            "model": self.net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "shuffle_generator": self.shuffle_generator.get_state(),
            "mask_generator": self.mask_generator.get_state().cpu(),
        }
        partial = path.with_suffix(".partial")
        torch.save(state, partial)
        partial.replace(path)

    def train(self, progress: ProgressCallback | None) -> FitReport:
        """Train until a stopping rule fires; leaves the best weights in ``self.net``."""
        restored = self._load_checkpoint()
        run = {
            "epoch": 0,
            "losses": [],
            "val_losses": [],
            "best_val_loss": float("inf"),
            "best_epoch": 0,
            "best_model": copy.deepcopy(self.net.state_dict()),
            "stale_epochs": 0,
            "seconds": 0.0,
            "validation_seconds": 0.0,
            "last_epoch_fraction": 1.0,
            "stopped_by": "",
            "private_steps": 0,
        }
        if restored is not None:  # a checkpoint written before a key existed keeps its default
            run.update({key: restored[key] for key in run if key in restored})
        resumed_from = run["epoch"] if restored is not None else None
        if self.private is not None:
            self.private.steps_taken = run["private_steps"]
        budget = self.config["max_seconds"]
        train_epoch = self._train_epoch if self.private is None else self._train_private_epoch
        while not run["stopped_by"]:
            started = time.perf_counter()
            left = None if budget is None else budget - run["seconds"] - run["validation_seconds"]
            train_loss, fraction = train_epoch(None if left is None else started + left)
            if self.private is not None:
                run["private_steps"] = self.private.steps_taken
            val_loss = None
            if self.private is None and (fraction == 1 or run["epoch"] > 0):
                validating = time.perf_counter()
                val_loss = self._validation_loss()
                run["validation_seconds"] = time.perf_counter() - validating
            epoch_seconds = time.perf_counter() - started
            run["epoch"] += 1
            run["last_epoch_fraction"] = fraction
            run["seconds"] += epoch_seconds
            run["losses"].append(train_loss)
            run["val_losses"].append(val_loss)
            if val_loss is None or val_loss < run["best_val_loss"] - 1e-4:  # None: the first, cut short
                run.update(best_val_loss=val_loss, best_epoch=run["epoch"], stale_epochs=0)
                run["best_model"] = copy.deepcopy(self.net.state_dict())
            else:
                run["stale_epochs"] += 1
                self._decay_learning_rate()
            run["stopped_by"] = self._stopping_rule(run)
            self._save_checkpoint(run)
            if progress is not None and self.rank == 0:
                progress(
                    {
                        "epoch": run["epoch"],
                        "epoch_fraction": fraction,
                        "loss": train_loss,
                        "val_loss": val_loss,
                        "rows_per_second": fraction * len(self.train_rows) / epoch_seconds,
                        "device": str(self.device),
                        "seconds": run["seconds"],
                    }
                )
        self.net.load_state_dict(run["best_model"])
        return FitReport(
            seconds=run["seconds"],
            rows=len(self.train_rows) + len(self.validation),
            device=str(self.device),
            epochs=run["epoch"],
            losses=list(run["losses"]),
            extra={
                "epochs_run": run["epoch"] - 1 + run["last_epoch_fraction"],
                "val_losses": list(run["val_losses"]),
                "best_epoch": run["best_epoch"],
                "best_val_loss": run["best_val_loss"],
                "stopped_by": run["stopped_by"],
                "resumed_from_epoch": resumed_from,
                "processes": self.world,
                "parameters": sum(parameter.numel() for parameter in self.net.parameters()),
                **({} if self.private is None else {"privacy": self.private.summary()}),
            },
        )

    def _decay_learning_rate(self) -> None:
        """Halve the step size after an epoch without progress (restored with the optimizer state)."""
        for group in self.optimizer.param_groups:
            group["lr"] *= LEARNING_RATE_DECAY

    def _stopping_rule(self, run: dict[str, Any]) -> str:
        if self.private is not None and self.private.steps_left == 0:
            return "privacy_budget"
        if run["last_epoch_fraction"] < 1:  # the budget cut the epoch short, in every process alike
            return "max_seconds"
        if run["epoch"] >= self.config["epochs"]:
            return "epochs"
        if run["stale_epochs"] >= self.config["patience"]:
            return "early_stopping"
        budget = self.config["max_seconds"]
        # out of time: too little left to train and validate another epoch, even in part
        out_of_time = budget is not None and run["seconds"] + run["validation_seconds"] >= budget
        # Wall time differs between processes: under DDP they stop together when any is out of time.
        if process_group.any_process(out_of_time, self.device):
            return "max_seconds"
        return ""
