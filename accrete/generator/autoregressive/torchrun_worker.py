"""One torchrun worker of a distributed autoregressive fit; torchrun runs it, nothing imports it::

    torchrun --standalone --nproc-per-node 2 -m accrete.generator.autoregressive.torchrun_worker JOB_DIR

The worker joins the process group (gloo on the CPU, NCCL on GPUs) and runs the normal ``fit``
on the job folder's table (``torchrun_job``); ``fit`` sees the process group and wraps the
network in DDP. Rank 0 prints the progress lines and saves the model and the report.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

import duckdb
import torch
import torch.distributed as dist

from accrete.generator.autoregressive.backend import AutoregressiveBackend
from accrete.generator.autoregressive.device import resolve_device
from accrete.generator.autoregressive.torchrun_job import (
    DATA_FILE,
    JOB_FILE,
    MODEL_DIR,
    PROGRESS_PREFIX,
    REPORT_FILE,
    schema_from_json,
)


def _print_progress(event: dict[str, Any]) -> None:
    print(PROGRESS_PREFIX + json.dumps(event), flush=True)


def run_worker(job: Path) -> None:
    """Join the group, train, and (rank 0) save the model and report into ``job``."""
    spec = json.loads((job / JOB_FILE).read_text())
    device = resolve_device(spec["settings"].get("device", "auto"))
    if device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    try:
        data = duckdb.sql(f"select * from read_parquet('{job / DATA_FILE}')").df()
        backend = AutoregressiveBackend(schema_from_json(spec["schema"]), spec["settings"], spec["seed"])
        report = backend.fit(data, progress=_print_progress)
        if dist.get_rank() == 0:
            backend.save(job / MODEL_DIR)
            (job / REPORT_FILE).write_text(json.dumps(dataclasses.asdict(report)))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    run_worker(Path(sys.argv[1]))
