"""Generator benchmark: Accrete's autoregressive generator against SDV's synthesizers.

Run ``python -m bench.generator`` (full) or ``python -m bench.generator --quick``.

- Adult (UCI training split): ours, SDV GaussianCopula, and SDV TVAE and CTGAN at an equal
  wall-time budget (their epochs set from a measured one-epoch fit so that they train as
  long as ours did; when one epoch with SDV's preprocessing already takes longer than our
  whole fit, that one-epoch fit is the equal-time run). The full mode also estimates TVAE's
  and CTGAN's fit time at their default 300 epochs (a 300-epoch fit would take 13 and 28
  minutes here) from measured fits of 1 and of 21 (TVAE) or 6 (CTGAN) epochs: fixed cost
  plus 300 times the per-epoch cost, marked ``fit_seconds_estimated`` in the JSON and "est."
  in the table.
- flights (the whole table, 336,776 rows): ours and GaussianCopula, to show how time and
  memory grow with rows. The quick mode trains ours only, on a seeded 100,000-row sample
  with a 10 s budget, so that it finishes in under 5 minutes.

Each system runs in its own Python process, so its peak resident memory is its own, and
with one torch thread (see BENCH_THREADS).
Quality is SDMetrics' quality score against the training data (at most 20,000 rows each).
Privacy on Adult: the share of synthetic rows closer to a training row than to a holdout
row (the Adult test split; the training side is a random subset of the same size, so fresh
draws give 0.5), and exact copies of training rows against the holdout's own rate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import torch

from accrete.generator.registry import backend_class
from accrete.table_schema import ModelColumn, TableSchema
from accrete.validation.feature_encoding import row_hashes
from accrete.validation.fidelity import fidelity_scores
from accrete.validation.privacy import distance_to_closest_record
from bench.adult import ADULT_SCHEMA, load_adult

RESULTS = Path(__file__).resolve().parent / "results" / "generator.json"
FLIGHTS = Path(__file__).resolve().parents[1] / "datasets" / "flights" / "flights.parquet"
FLIGHTS_CATEGORICAL = ("carrier", "tailnum", "origin", "dest", "flight")
SAMPLE_ROWS = {("adult", "autoregressive"): 500_000, ("flights", "autoregressive"): 100_000}
"""Rows drawn to time sampling (others: SDV_SAMPLE_ROWS)."""
SDV_SAMPLE_ROWS = 20_000
SAMPLE_REPEATS = 5
"""Sampling is timed this many times (different seeds); the median counts, the first draw is scored."""
SDV_DEFAULT_EPOCHS = 300
"""TVAE's and CTGAN's default number of epochs in SDV 2.0."""
ESTIMATE_EPOCHS = {"tvae": 21, "ctgan": 6}
"""Epochs of the second measured fit from which the default-epoch fit time is extrapolated:
enough that the extra epochs take 30-40 s here, well above the run-to-run noise of the fixed
cost (with 6 TVAE epochs, a noisy one-epoch fit once took longer than the six)."""
QUICK_FLIGHTS = {"rows": 100_000, "settings": {"max_seconds": 10.0}}
"""The quick mode's flights run: a seeded sample of rows and a shorter training budget."""
DCR_QUERY_ROWS = 2_000
SEED = 0
BENCH_THREADS = 1
"""Every system trains with one torch thread: on this shared 2-core machine two intra-op threads
were several times slower than one (a descheduled thread stalls every parallel operation)."""


def flights_table() -> tuple[pd.DataFrame, TableSchema]:
    """The whole flights table with a schema: identifiers and codes as categories, time_hour as datetime."""
    frame = duckdb.sql(f"select * from '{FLIGHTS}'").df()
    frame["time_hour"] = pd.to_datetime(frame["time_hour"])
    frame["flight"] = frame["flight"].astype(str)
    columns = []
    for name in frame.columns:
        if name in FLIGHTS_CATEGORICAL:
            columns.append(ModelColumn(name, "categorical"))
        elif name == "time_hour":
            columns.append(ModelColumn(name, "datetime"))
        else:
            columns.append(ModelColumn(name, "numerical", integer=True))
    return frame, TableSchema(tuple(columns))


def privacy_scores(
    train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, schema
) -> dict[str, float]:
    """Share of synthetic rows closer to training than holdout (equal-size references), exact copies."""
    train_reference = train.sample(n=min(len(train), len(holdout)), random_state=SEED)
    dcr = distance_to_closest_record(
        train_reference, holdout, synthetic, schema, max_query_rows=DCR_QUERY_ROWS, seed=SEED, device="cpu"
    )
    train_hashes = np.unique(row_hashes(train, schema))
    return {
        "dcr_share": dcr.share_closer_to_training,
        "exact_copies": float(np.isin(row_hashes(synthetic, schema), train_hashes).mean()),
        "holdout_exact_copies": float(np.isin(row_hashes(holdout, schema), train_hashes).mean()),
    }


def _load(dataset: str, rows: int | None) -> tuple[pd.DataFrame, pd.DataFrame | None, TableSchema]:
    if dataset == "adult":
        return load_adult("train"), load_adult("test"), ADULT_SCHEMA
    frame, schema = flights_table()
    if rows is not None and rows < len(frame):
        frame = frame.sample(n=rows, random_state=SEED).reset_index(drop=True)
    return frame, None, schema


def _timed_sample(backend: Any, rows: int, seed: int) -> tuple[pd.DataFrame, float]:
    started = time.perf_counter()
    synthetic = backend.sample(rows, seed=seed)
    return synthetic, time.perf_counter() - started


def score_system(
    dataset: str, backend_name: str, settings: dict[str, Any], rows: int | None = None
) -> dict[str, Any]:
    """Fit, sample and score one system in this process (the worker side of ``run_system``);
    ``rows``: train on a seeded sample of that many rows."""
    torch.set_num_threads(BENCH_THREADS)
    train, holdout, schema = _load(dataset, rows)
    backend = backend_class(backend_name)(schema, settings, seed=SEED)
    started = time.perf_counter()
    report = backend.fit(train)
    fit_seconds = time.perf_counter() - started
    sample_rows = SAMPLE_ROWS.get((dataset, backend_name), SDV_SAMPLE_ROWS)
    synthetic, seconds = _timed_sample(backend, sample_rows, SEED)
    repeats = [_timed_sample(backend, sample_rows, SEED + repeat)[1] for repeat in range(1, SAMPLE_REPEATS)]
    rows_per_second = sample_rows / float(np.median([seconds, *repeats]))
    fidelity = fidelity_scores(train, synthetic, schema, seed=SEED)
    scores = {
        "fit_seconds": fit_seconds,
        "sample_rows_per_second": rows_per_second,
        "quality": fidelity.quality,
        "column_shapes": fidelity.column_shapes,
        "column_pair_trends": fidelity.column_pair_trends,
        "dcr_share": None,
        "exact_copies": None,
        "epochs": report.epochs or settings.get("epochs"),
        "rows": len(train),
        "settings": settings,
    }
    if holdout is not None:
        scores.update(privacy_scores(train, holdout, synthetic.head(len(holdout)), schema))
    scores["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return scores


def run_system(
    label: str, dataset: str, backend: str, settings: dict[str, Any], rows: int | None = None
) -> dict[str, Any]:
    """Score one system in a fresh Python process (its own peak memory; SDV's joblib workers
    hang in a multiprocessing child, so this is a plain subprocess)."""
    with tempfile.TemporaryDirectory(prefix="accrete-bench-") as folder:
        output = Path(folder) / "scores.json"
        job = json.dumps({"dataset": dataset, "backend": backend, "settings": settings, "rows": rows})
        subprocess.run(
            [sys.executable, "-m", "bench.generator", "--worker", job, "--output", str(output)], check=True
        )
        scores = json.loads(output.read_text())
    print(f"  {label}: fit {scores['fit_seconds']:.1f} s, quality {scores['quality']:.3f}", flush=True)
    return scores


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line
        ]
        cpu = names[0] if names else cpu
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def estimate_default_fit(one_epoch: dict[str, Any], more_epochs: dict[str, Any]) -> dict[str, Any]:
    """The default-epoch entry of TVAE or CTGAN: its fit time extrapolated from two measured
    fits (fixed cost plus epochs times the per-epoch cost); quality is not measured."""
    per_epoch = (more_epochs["fit_seconds"] - one_epoch["fit_seconds"]) / (more_epochs["epochs"] - 1)
    fixed = one_epoch["fit_seconds"] - per_epoch
    return {
        # Not estimable when noise made the longer fit no slower than the one-epoch fit.
        "fit_seconds": fixed + SDV_DEFAULT_EPOCHS * per_epoch if per_epoch > 0 else None,
        "fit_seconds_estimated": True,
        "measured_epochs": {
            "1": one_epoch["fit_seconds"],
            str(more_epochs["epochs"]): more_epochs["fit_seconds"],
        },
        "seconds_per_epoch": per_epoch,
        "fixed_seconds": fixed,
        "epochs": SDV_DEFAULT_EPOCHS,
        "sample_rows_per_second": more_epochs["sample_rows_per_second"],
        "quality": None,
        "column_shapes": None,
        "column_pair_trends": None,
        "dcr_share": None,
        "exact_copies": None,
        "peak_memory_mb": more_epochs["peak_memory_mb"],
    }


def _cell(value: float | None, spec: str, width: int) -> str:
    return f"{'' if value is None else format(value, spec):>{width}}"


def print_table(results: dict[str, Any]) -> None:
    ours = results["adult/autoregressive"]
    header = (
        f"{'system':<34}{'fit s':>10}{'x ours':>8}{'rows/s':>11}{'quality':>9}{'shapes':>8}{'pairs':>7}"
        f"{'dcr':>7}{'copies':>8}{'MB':>7}"
    )
    print(header)
    print("-" * len(header))
    for label, scores in results.items():
        if label == "machine":
            continue
        baseline = ours if label.startswith("adult/") else results.get("flights/autoregressive", ours)
        fit, ratio = scores["fit_seconds"], None
        if fit is not None:
            ratio = fit / baseline["fit_seconds"]
        fit_cell = _cell(fit, ".1f", 0) + (" est." if scores.get("fit_seconds_estimated") else "")
        print(
            f"{label:<34}{fit_cell:>10}{_cell(ratio, '.1f', 8)}"
            f"{scores['sample_rows_per_second']:>11,.0f}{_cell(scores['quality'], '.3f', 9)}"
            f"{_cell(scores['column_shapes'], '.3f', 8)}{_cell(scores['column_pair_trends'], '.3f', 7)}"
            f"{_cell(scores['dcr_share'], '.3f', 7)}{_cell(scores['exact_copies'], '.4f', 8)}"
            f"{_cell(scores['peak_memory_mb'], '.0f', 7)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="SDV deep models at the equal time budget only")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        job = json.loads(args.worker)
        Path(args.output).write_text(
            json.dumps(score_system(job["dataset"], job["backend"], job["settings"], job["rows"]))
        )
        return
    results: dict[str, Any] = {}
    print("Adult", flush=True)
    results["adult/autoregressive"] = run_system("autoregressive", "adult", "autoregressive", {})
    results["adult/gaussian_copula"] = run_system("gaussian_copula", "adult", "gaussian_copula", {})
    budget = results["adult/autoregressive"]["fit_seconds"]
    for backend in ("tvae", "ctgan"):
        # The one-epoch fit measures the epoch time and is the equal-time run when one epoch
        # (with SDV's preprocessing) already takes longer than our whole fit.
        one_epoch = run_system(f"{backend} (1 epoch)", "adult", backend, {"epochs": 1})
        epochs = max(1, int(budget / one_epoch["fit_seconds"]))
        equal_time = one_epoch
        if epochs > 1:
            equal_time = run_system(f"{backend} (equal time)", "adult", backend, {"epochs": epochs})
        results[f"adult/{backend}_equal_time"] = {**equal_time, "one_epoch_seconds": one_epoch["fit_seconds"]}
        if not args.quick:
            epochs = ESTIMATE_EPOCHS[backend]
            more_epochs = run_system(f"{backend} ({epochs} epochs)", "adult", backend, {"epochs": epochs})
            results[f"adult/{backend}_{epochs}_epochs"] = more_epochs
            results[f"adult/{backend}_default"] = estimate_default_fit(one_epoch, more_epochs)
    if args.quick:
        print(f"flights (seeded {QUICK_FLIGHTS['rows']:,}-row sample)", flush=True)
        results["flights/autoregressive"] = run_system(
            "autoregressive", "flights", "autoregressive", QUICK_FLIGHTS["settings"], QUICK_FLIGHTS["rows"]
        )
    else:
        print("flights", flush=True)
        results["flights/autoregressive"] = run_system("autoregressive", "flights", "autoregressive", {})
        results["flights/gaussian_copula"] = run_system("gaussian_copula", "flights", "gaussian_copula", {})
    results["machine"] = {**machine(), "mode": "quick" if args.quick else "full"}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    print()
    print_table(results)
    print(f"\nmachine: {results['machine']}\nwritten: {RESULTS}")


if __name__ == "__main__":
    main()
