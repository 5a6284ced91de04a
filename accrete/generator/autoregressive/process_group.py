"""Data-parallel training (DDP) of the autoregressive generator, launched by ``torchrun``.

``fit_with_torchrun`` is what ``fit`` calls when ``distributed_processes`` > 1: it writes
the training table and the job to a temporary folder, starts ``torchrun`` with this
module as the worker, relays rank 0's progress lines, and loads the model rank 0 saved.
Each worker joins the process group (gloo on the CPU, NCCL on GPUs) and runs the normal
``fit``, which sees the process group and wraps the network in DDP.

Worker entry point (run by torchrun, not by hand)::

    torchrun --standalone --nproc-per-node 2 -m accrete.generator.autoregressive.process_group JOB_DIR
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from accrete.generator.base import FitReport, GeneratorError, ProgressCallback
from accrete.table_schema import ModelColumn, TableSchema

if TYPE_CHECKING:
    from accrete.generator.autoregressive.backend import AutoregressiveBackend

PROGRESS_PREFIX = "ACCRETE_PROGRESS "
DATA_FILE = "train.parquet"
JOB_FILE = "job.json"
MODEL_DIR = "model"
REPORT_FILE = "report.json"


def in_process_group() -> bool:
    """True inside a torch.distributed process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if in_process_group() else 0


def world_size() -> int:
    return dist.get_world_size() if in_process_group() else 1


def wrap(net: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``net`` under DistributedDataParallel on ``device``."""
    if device.type == "cuda":
        return DistributedDataParallel(net, device_ids=[torch.cuda.current_device()])
    return DistributedDataParallel(net)


def any_process(flag: bool, device: torch.device) -> bool:
    """True when ``flag`` is true in any process of the group (just ``flag`` outside one)."""
    if not in_process_group():
        return flag
    value = torch.tensor([float(flag)], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def _schema_to_json(schema: TableSchema) -> list[dict[str, Any]]:
    return [dataclasses.asdict(column) for column in schema.columns]


def _schema_from_json(columns: list[dict[str, Any]]) -> TableSchema:
    return TableSchema(
        columns=tuple(
            ModelColumn(**{**column, "categories": tuple(column["categories"])}) for column in columns
        )
    )


def fit_with_torchrun(
    backend: AutoregressiveBackend, data: pd.DataFrame, progress: ProgressCallback | None
) -> FitReport:
    """Train ``backend`` in ``distributed_processes`` torchrun workers and load the result into it."""
    processes = backend.config["distributed_processes"]
    with tempfile.TemporaryDirectory(prefix="accrete-ddp-") as folder:
        job = Path(folder)
        duckdb.from_df(data[backend.schema.names]).write_parquet(str(job / DATA_FILE))
        job_spec = {
            "schema": _schema_to_json(backend.schema),
            "settings": backend.settings,
            "seed": backend.seed,
        }
        (job / JOB_FILE).write_text(json.dumps(job_spec))
        command = [
            sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
            "-m", "accrete.generator.autoregressive.process_group", str(job),
        ]  # fmt: skip
        log = job / "torchrun.log"
        with (
            log.open("w") as errors,
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True) as launched,
        ):
            for line in launched.stdout:
                if line.startswith(PROGRESS_PREFIX) and progress is not None:
                    progress(json.loads(line[len(PROGRESS_PREFIX) :]))
        if launched.returncode != 0:
            raise GeneratorError(
                f"distributed training failed (torchrun exit {launched.returncode}):\n"
                + log.read_text()[-4000:]
            )
        trained = type(backend).load(job / MODEL_DIR, backend.schema)
        backend.encoders, backend.net = trained.encoders, trained.net
        return FitReport(**json.loads((job / REPORT_FILE).read_text()))


def _print_progress(event: dict[str, Any]) -> None:
    print(PROGRESS_PREFIX + json.dumps(event), flush=True)


def run_worker(job: Path) -> None:
    """One torchrun worker: join the group, train, and (rank 0) save the model and report."""
    from accrete.generator.autoregressive.backend import AutoregressiveBackend, resolve_device

    spec = json.loads((job / JOB_FILE).read_text())
    device = resolve_device(spec["settings"].get("device", "auto"))
    if device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    try:
        data = duckdb.sql(f"select * from read_parquet('{job / DATA_FILE}')").df()
        backend = AutoregressiveBackend(_schema_from_json(spec["schema"]), spec["settings"], spec["seed"])
        report = backend.fit(data, progress=_print_progress)
        if dist.get_rank() == 0:
            backend.save(job / MODEL_DIR)
            (job / REPORT_FILE).write_text(json.dumps(dataclasses.asdict(report)))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    run_worker(Path(sys.argv[1]))
