"""Data-parallel training (DDP) of the autoregressive generator, launched with ``torchrun``.

``fit_with_torchrun`` is what ``fit`` calls when ``distributed_processes`` > 1: it writes
the training table and the job to a temporary folder (``torchrun_job``), starts ``torchrun``
with ``torchrun_worker`` as the worker module, relays rank 0's progress lines, and loads the
model rank 0 saved.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd

from accrete.generator.autoregressive.torchrun_job import (
    DATA_FILE,
    JOB_FILE,
    MODEL_DIR,
    PROGRESS_PREFIX,
    REPORT_FILE,
    schema_to_json,
)
from accrete.generator.base import FitReport, GeneratorBackend, ProgressCallback, TrainingProcessError

WORKER_MODULE = "accrete.generator.autoregressive.torchrun_worker"
"""What each torchrun process runs (``-m``)."""

Backend = TypeVar("Backend", bound=GeneratorBackend)


def fit_with_torchrun(
    backend: Backend, processes: int, data: pd.DataFrame, progress: ProgressCallback | None
) -> tuple[Backend, FitReport]:
    """Train ``backend``'s schema, settings and seed on ``data`` in ``processes`` torchrun workers.

    Returns the model rank 0 trained, loaded with ``type(backend).load``, and rank 0's report;
    TrainingProcessError with the end of torchrun's log when the workers fail.
    """
    with tempfile.TemporaryDirectory(prefix="accrete-ddp-") as folder:
        job = Path(folder)
        duckdb.from_df(data[backend.schema.names]).write_parquet(str(job / DATA_FILE))
        job_spec = {
            "schema": schema_to_json(backend.schema),
            "settings": backend.settings,
            "seed": backend.seed,
        }
        (job / JOB_FILE).write_text(json.dumps(job_spec))
        command = [
            sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
            "-m", WORKER_MODULE, str(job),
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
            raise TrainingProcessError(
                f"distributed training failed (torchrun exit {launched.returncode}):\n"
                + log.read_text()[-4000:]
            )
        trained = type(backend).load(job / MODEL_DIR, backend.schema)
        return trained, FitReport(**json.loads((job / REPORT_FILE).read_text()))
