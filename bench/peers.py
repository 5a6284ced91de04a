"""Peer benchmark: Accrete against MOSTLY AI's TabularARGN and SDV's GaussianCopula, side by side.

Run ``python -m bench.peers`` in ``.venv-bench`` (``make bench-peers``; ``make bench-generator``
runs it after ``bench.generator``). On Adult, credit and a seeded sample of flights
(``bench.peers_data``) every system learns the same training rows in a process of its own
(``bench.peer_systems``) and its synthetic rows are scored here, all in the same way, against
the real holdout's own scores as the ceiling:

- quality and column-pair trends: SDMetrics' quality report against the training rows
  (``accrete.validation.fidelity``); the ceiling is the holdout's;
- detection: the held-out ROC AUC of a classifier telling real holdout rows from synthetic ones
  (``accrete.validation.detection.detection_scores``); the ceiling puts real training rows in
  the synthetic rows' place (``detection_ceiling``);
- TSTR: a model trained on synthetic rows predicting the spec's ``target`` on the real holdout
  (``accrete.validation.utility``: ROC AUC, R² for a numerical target); the ceiling is the
  same model trained on the real training rows (TRTR);
- fit seconds and sampling rows per second, with Accrete's over each peer's.

``--privacy`` adds the differentially private arms (``--epsilons``, delta 1e-5; Adult and
credit unless ``--datasets`` says otherwise): Accrete with the spec's ``generator.privacy`` and
TabularARGN with the engine's ``differential_privacy``, printed beside the non-private runs.
``--no-baseline`` skips the non-private runs (their last results are read from the JSON).
``--quick``: Adult only, Accrete with a 10 s budget, TabularARGN with a 1-minute budget.
Results are merged into ``bench/results/peers.json`` (one entry per dataset and arm; the quick
mode's into ``peers-quick.json``), with the machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from accrete.validation.detection import detection_ceiling, detection_scores
from accrete.validation.fidelity import fidelity_scores
from accrete.validation.utility import utility_scores
from bench.generator import machine
from bench.peer_systems import run
from bench.peers_data import PeerDataset, load, prepare

RESULTS = Path(__file__).resolve().parent / "results" / "peers.json"
QUICK_RESULTS = RESULTS.with_name("peers-quick.json")
DATASETS = ("adult", "credit", "flights")
PRIVATE_DATASETS = ("adult", "credit")
EPSILONS = (1.0, 4.0, 10.0)
FLIGHTS_ROWS = 25_000
"""Flights' seeded sample (20,000 training and 5,000 holdout rows), so that TabularARGN's fit stays in minutes."""
SAMPLE_ROWS = 20_000
"""Rows every system draws per timed draw (and the first draw is scored)."""
SYSTEMS = ("accrete", "tabular_argn", "gaussian_copula")
QUICK = {"datasets": ("adult",), "accrete": {"max_seconds": 10.0}, "argn_minutes": 1.0}


def score(data: PeerDataset, synthetic: pd.DataFrame) -> dict[str, float]:
    """Quality, pair trends, detection AUC and TSTR of ``synthetic`` rows, as for every system."""
    fidelity = fidelity_scores(data.train, synthetic, data.schema)
    scores = {
        "quality": fidelity.quality,
        "column_pair_trends": fidelity.column_pair_trends,
        "detection_auc": detection_scores(data.train, data.holdout, synthetic, data.schema).auc,
    }
    if data.target is not None:
        utility = utility_scores(data.train, data.holdout, synthetic, data.schema, data.target)
        scores |= {"tstr": utility.synthetic_score, "tstr_metric": utility.metric}
    return scores


def ceiling(data: PeerDataset) -> dict[str, Any]:
    """The same scores for real rows: the holdout's fidelity, training rows' detection, TRTR."""
    fidelity = fidelity_scores(data.train, data.holdout, data.schema)
    scores = {
        "quality": fidelity.quality,
        "column_pair_trends": fidelity.column_pair_trends,
        "detection_auc": detection_ceiling(data.train, data.holdout, data.schema),
    }
    if data.target is not None:
        utility = utility_scores(data.train, data.holdout, data.train, data.schema, data.target)
        scores |= {"tstr": utility.real_score, "tstr_metric": utility.metric}
    return scores | {"train_rows": len(data.train), "holdout_rows": len(data.holdout)}


def run_job(job: dict[str, Any], folder: Path, data: PeerDataset) -> dict[str, Any]:
    """Run one system in a fresh process, then score its rows here."""
    output = folder / "job"
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-m", "bench.peers", "--worker", json.dumps(job), "--output", str(output)]
    )
    if finished.returncode != 0:
        print(f"  {job['label']}: failed (exit {finished.returncode})", flush=True)
        return {"failed": True, "exit_code": finished.returncode}
    timings = json.loads(output.with_suffix(".json").read_text())
    synthetic = pd.read_parquet(output.with_suffix(".parquet"))
    entry = {**timings, **score(data, synthetic), "wall_seconds": time.perf_counter() - started}
    print(
        f"  {job['label']}: fit {entry['fit_seconds']:.1f} s, quality {entry['quality']:.3f}, "
        f"detection {entry['detection_auc']:.3f}",
        flush=True,
    )
    return entry


def worker(job: dict[str, Any], output: Path) -> None:
    """The worker side of ``run_job``: fit and sample, write the rows and the timings."""
    data = load(job["dataset"], Path(job["folder"]))
    synthetic, timings = run(job, data)
    synthetic.to_parquet(output.with_suffix(".parquet"), index=False)
    output.with_suffix(".json").write_text(json.dumps(timings, default=str))


def _jobs(dataset: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    base = {"dataset": dataset, "sample_rows": SAMPLE_ROWS}
    quick_settings = QUICK["accrete"] if args.quick else {}
    argn_minutes = QUICK["argn_minutes"] if args.quick else None
    options = {"accrete": {"settings": quick_settings}, "tabular_argn": {"max_minutes": argn_minutes}}
    jobs = []
    if not args.no_baseline:
        jobs += [{**base, **options.get(s, {}), "system": s, "label": s} for s in SYSTEMS]
    if args.privacy and dataset in args.private_datasets:
        for epsilon in args.epsilons:
            for system in args.dp_systems:
                label = f"{system} eps={epsilon:g}"
                jobs.append({**base, **options[system], "system": system, "label": label, "epsilon": epsilon})
    return jobs


def _cell(value: Any, spec: str, width: int) -> str:
    return f"{'' if value is None else format(value, spec):>{width}}"


def print_table(dataset: str, entries: dict[str, dict[str, Any]]) -> None:
    """One dataset's arms with the ceiling, and Accrete's fit time and sampling speed over each arm's
    (over a private arm's: Accrete's at the same epsilon)."""
    base = entries.get("accrete", {})
    metric = next((e.get("tstr_metric") for e in entries.values() if e.get("tstr_metric")), "")
    header = (
        f"{'system':<26}{'fit s':>9}{'ours/this':>10}{'rows/s':>10}{'ours/this':>10}{'quality':>9}"
        f"{'pairs':>7}{'detect':>8}{'TSTR ' + metric:>13}{'epochs':>8}{'eps':>7}"
    )
    print(f"\n{dataset}")
    print(header)
    print("-" * len(header))
    for label, entry in entries.items():
        # a private arm is compared with Accrete's arm at the same epsilon
        ours = entries.get("accrete" + label[label.index(" eps=") :], {}) if " eps=" in label else base
        if "quality" not in entry:
            print(f"{label:<26}failed (exit {entry.get('exit_code')})")
            continue
        fit, speed = entry.get("fit_seconds"), entry.get("sample_rows_per_second")
        fit_ratio = ours["fit_seconds"] / fit if fit and ours.get("fit_seconds") else None
        speed_ratio = ours["sample_rows_per_second"] / speed if speed and ours.get("fit_seconds") else None
        epsilon = entry.get("epsilon") or (entry.get("privacy") or {}).get("epsilon")
        print(
            f"{label:<26}{_cell(fit, '.1f', 9)}{_cell(fit_ratio, '.2f', 10)}{_cell(speed, ',.0f', 10)}"
            f"{_cell(speed_ratio, '.1f', 10)}{_cell(entry['quality'], '.3f', 9)}"
            f"{_cell(entry['column_pair_trends'], '.3f', 7)}{_cell(entry['detection_auc'], '.3f', 8)}"
            f"{_cell(entry.get('tstr'), '.3f', 13)}{_cell(entry.get('epochs'), '.1f', 8)}"
            f"{_cell(epsilon, '.2f', 7)}"
        )


def _arms(results: dict[str, Any], dataset: str) -> dict[str, dict[str, Any]]:
    prefix = f"{dataset}/"
    arms = {key[len(prefix) :]: value for key, value in results.items() if key.startswith(prefix)}
    order = [*SYSTEMS, "real (ceiling)"]

    def position(item: tuple[str, dict[str, Any]]) -> tuple[int, str, float]:
        label, entry = item
        epsilon = (entry.get("privacy") or {}).get("epsilon", 0.0)
        return (order.index(label) if label in order else 99, label.split(" ")[0], epsilon)

    return dict(sorted(arms.items(), key=position))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Adult only, short training budgets")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, help="default: all (quick: adult)")
    parser.add_argument("--privacy", action="store_true", help="add the differentially private arms")
    parser.add_argument("--no-baseline", action="store_true", help="skip the non-private runs")
    parser.add_argument("--epsilons", nargs="+", type=float, default=list(EPSILONS))
    parser.add_argument(
        "--dp-systems", nargs="+", choices=("accrete", "tabular_argn"), default=["accrete", "tabular_argn"]
    )
    parser.add_argument("--flights-rows", type=int, default=FLIGHTS_ROWS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker), Path(args.output))
        return
    datasets = args.datasets or (QUICK["datasets"] if args.quick else DATASETS)
    args.private_datasets = args.datasets or PRIVATE_DATASETS
    path = QUICK_RESULTS if args.quick else RESULTS
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    mode = "quick" if args.quick else "full"
    results["machine"] = machine()
    for dataset in datasets:
        jobs = _jobs(dataset, args)
        if not jobs:
            continue
        with tempfile.TemporaryDirectory(prefix="accrete-peers-") as folder:
            data = prepare(dataset, Path(folder), args.flights_rows if dataset == "flights" else None)
            print(
                f"{dataset}: {len(data.train):,} training rows, {len(data.holdout):,} holdout rows",
                flush=True,
            )
            stamp = {"mode": mode, "run_at": datetime.now(UTC).isoformat(timespec="seconds")}
            if not args.no_baseline:
                results[f"{dataset}/real (ceiling)"] = ceiling(data) | stamp
            for job in jobs:
                entry = run_job({**job, "folder": folder}, Path(folder), data)
                results[f"{dataset}/{job['label']}"] = entry | stamp
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(results, indent=2, default=str))
    for dataset in datasets:
        print_table(dataset, _arms(results, dataset))
    print(f"\nmachine: {results['machine']}\nwritten: {path}")


if __name__ == "__main__":
    main()
