"""How the generator's cost grows with rows: fits on seeded samples of flights of growing size.

Run ``python -m bench.scaling`` (``make bench-generator`` runs it after the generator benchmark).
Each size trains Accrete's autoregressive generator for a fixed number of epochs (no time budget,
no early stop) in its own Python process, so the peak resident memory is that fit's own; one
torch thread, as in ``bench.generator``. Linear cost shows as a flat "s per 100k rows" column;
bounded memory as a peak that grows with the encoded table (compact integer tensors), not with
one-hot frames.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from accrete.generator.registry import backend_class
from bench.generator import BENCH_THREADS, SEED, flights_table, machine

RESULTS = Path(__file__).resolve().parent / "results" / "scaling.json"
SIZES = (25_000, 50_000, 100_000, 200_000, 336_776)
SETTINGS = {"epochs": 2, "max_seconds": None, "patience": 100}


def time_fit(rows: int) -> dict[str, float]:
    """Fit on a seeded sample of ``rows`` flights (this process); seconds and peak memory."""
    torch.set_num_threads(BENCH_THREADS)
    frame, schema = flights_table()
    frame = frame.sample(n=min(rows, len(frame)), random_state=SEED).reset_index(drop=True)
    started = time.perf_counter()
    report = backend_class("autoregressive")(schema, SETTINGS, seed=SEED).fit(frame)
    seconds = time.perf_counter() - started
    return {
        "rows": len(frame),
        "fit_seconds": seconds,
        "epochs": report.epochs,
        "seconds_per_100k_rows": seconds / len(frame) * 100_000,
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_size(rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="accrete-scaling-") as folder:
        output = Path(folder) / "fit.json"
        subprocess.run(
            [sys.executable, "-m", "bench.scaling", "--worker", str(rows), "--output", str(output)],
            check=True,
        )
        return json.loads(output.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        Path(args.output).write_text(json.dumps(time_fit(args.worker)))
        return
    print(f"{'rows':>9}{'fit s':>9}{'s per 100k rows':>17}{'peak MB':>9}")
    series = []
    for rows in SIZES:
        fit = run_size(rows)
        series.append(fit)
        print(
            f"{fit['rows']:>9,}{fit['fit_seconds']:>9.1f}{fit['seconds_per_100k_rows']:>17.2f}"
            f"{fit['peak_memory_mb']:>9.0f}",
            flush=True,
        )
    largest, smallest = series[-1], series[0]
    growth = largest["fit_seconds"] / smallest["fit_seconds"]
    print(f"{largest['rows'] / smallest['rows']:.1f}x the rows took {growth:.1f}x the time")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"settings": SETTINGS, "series": series, "machine": machine()}, indent=2))
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
