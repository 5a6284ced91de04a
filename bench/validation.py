"""Benchmark of the whole validation suite at 30k, 100k and 300k rows, and the adversarial gallery:
`python -m bench.validation`.

Real rows come from the bundled Adult data, in the columns the Adult spec trains on (imputed
columns filled with their training mode, plus their ``_was_missing`` flags): the training table
is drawn from Adult's 32,561 training rows (without replacement at 30k, resampled with
replacement at 100k and 300k, so those tables repeat rows) and the holdout, 20% of that size,
likewise from Adult's 16,281 test rows. Synthetic rows come from a GaussianCopula fitted once on
all Adult training rows. Every gate of the registry is timed with its peak resident memory
(sampled every 20 ms), in registry order: a gate that first needs a shared score (fidelity and
its ceiling, the DCR search) pays for it.

The gallery (``accrete.validation.adversarial``) judges every case with every gate, on all
Adult training rows, half of the test rows as holdout and the other half as fresh real rows,
prints the case x gate table and checks that the honest case passes every gate and each other
case fails the gate named for it.
SDMetrics' own distance metric (DCROverfittingProtection, a chunked pandas cross join) is
timed at doubling sizes until one run takes longer than ``SDMETRICS_BUDGET_S``; at the
largest size it finished, Accrete's exact search over every row is timed on the same rows
for the ratio. Results go to ``bench/results/validation.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from sdmetrics.single_table import DCROverfittingProtection

from accrete.generator.sdv_backends import TABLE, GaussianCopulaBackend, sdv_metadata
from accrete.spec import MISSING_FLAG_SUFFIX, DatasetSpec, load_spec
from accrete.validation.adversarial import GALLERY, GalleryTables, build_case
from accrete.validation.gates import GateInputs, applicable_gates
from accrete.validation.privacy import distance_to_closest_record
from accrete.validation.report_html import validation_report_html
from accrete.validation.suite import validate_synthetic
from bench.adult import ADULT_SCHEMA, load_adult

SIZES = (30_000, 100_000, 300_000)
HOLDOUT_FRACTION = 0.2
RESULTS = Path(__file__).resolve().parent / "results" / "validation.json"
ADULT_SPEC = Path(__file__).resolve().parents[1] / "datasets" / "adult" / "spec.yaml"
SDMETRICS_BUDGET_S = 90.0
SDMETRICS_FIRST_SIZE = 1_000
DISTANCE_AND_DETECTION = ("distance_to_closest_record", "exact_copies", "rare_combinations", "detection")
GATE_SHORT_NAMES = {
    "fidelity": "fidelity",
    "value_ranges": "ranges",
    "detection": "detect",
    "utility": "utility",
    "distance_to_closest_record": "dcr",
    "exact_copies": "copies",
    "rare_combinations": "rare",
    "identifier_leakage": "ids",
    "representation": "groups",
}


class PeakMemory:
    """Samples the process's resident memory in a background thread; ``peak_mb`` since the last reset."""

    def __init__(self, interval_s: float = 0.02):
        self._interval_s = interval_s
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def current_bytes() -> int:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, self.current_bytes())
            time.sleep(self._interval_s)

    def reset(self) -> None:
        self._peak = self.current_bytes()

    @property
    def peak_mb(self) -> float:
        return max(self._peak, self.current_bytes()) / 2**20

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as info:
        names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
    if names:
        cpu = names[0]
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu}, {os.cpu_count()} cores, {memory_gb:.0f} GiB RAM, {gpu}; torch {torch.__version__}"


def draw(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """``rows`` rows of ``frame``: a sample without replacement when it has enough, else with replacement."""
    return frame.sample(n=rows, replace=rows > len(frame), random_state=seed).reset_index(drop=True)


@contextmanager
def timed(name: str, timings: dict[str, float], memory: dict[str, float], peak: PeakMemory):
    peak.reset()
    started = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - started, 2)
    memory[name] = round(peak.peak_mb, 1)
    print(f"  {name:<28} {timings[name]:>8.2f} s  peak {memory[name]:>8.1f} MB", flush=True)


def spec_columns(frame: pd.DataFrame, spec: DatasetSpec, reference: pd.DataFrame) -> pd.DataFrame:
    """The spec's training columns: imputed columns filled with their mode in ``reference``, plus flags."""
    frame = frame.copy()
    for column in spec.imputation.columns:
        frame[f"{column}{MISSING_FLAG_SUFFIX}"] = frame[column].isna()
        frame[column] = frame[column].fillna(reference[column].mode()[0])
    return frame[spec.training_schema.names]


def run_suite(
    spec: DatasetSpec, train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, peak: PeakMemory
) -> dict[str, Any]:
    """Every gate of the registry and the HTML report on one size; seconds and peak memory per gate."""
    timings: dict[str, float] = {}
    memory: dict[str, float] = {}
    outcomes = []
    inputs = GateInputs(spec, train, holdout, synthetic)
    started = time.perf_counter()
    for gate in applicable_gates(spec):
        with timed(gate.name, timings, memory, peak):
            outcomes.append(gate.judge(inputs))
    with timed("report_html", timings, memory, peak):
        validation_report_html(
            "bench",
            train,
            synthetic,
            spec.training_schema,
            outcomes,
            inputs.fidelity,
            inputs.dcr,
            inputs.representation,
        )
    return {
        "total_seconds": round(time.perf_counter() - started, 2),
        "peak_memory_mb": max(memory.values()),
        "metrics": timings,
        "metric_peak_memory_mb": memory,
        "distance_and_detection_seconds": round(sum(timings[name] for name in DISTANCE_AND_DETECTION), 2),
        "dcr_searched_synthetic_rows": len(inputs.dcr.synthetic_to_train),
        "dcr_share_ci": [round(value, 4) for value in inputs.dcr.share_interval],
        "gates": {outcome.name: outcome.passed for outcome in outcomes},
    }


def adult_gallery_tables(seed: int = 0) -> GalleryTables:
    """All Adult training rows; Adult's test rows split in half into the holdout and fresh real rows."""
    spec = load_spec(ADULT_SPEC)
    raw_train = load_adult("train")
    train = spec_columns(raw_train, spec, raw_train)
    test = spec_columns(load_adult("test"), spec, raw_train).sample(frac=1.0, random_state=seed)
    half = len(test) // 2
    record_numbers = list(range(len(train) + len(test)))
    return GalleryTables(
        spec=spec,
        train=train,
        holdout=test.iloc[:half].reset_index(drop=True),
        fresh=test.iloc[half:].reset_index(drop=True),
        identifier_values={"id": record_numbers},
    )


def run_gallery(tables: GalleryTables, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Every gallery case judged by every applicable gate: verdicts and the numbers behind them."""
    results = {}
    for case in GALLERY:
        synthetic = build_case(case, tables, seed)
        validation = validate_synthetic(
            tables.spec, tables.train, tables.holdout, synthetic, tables.identifier_values, seed
        )
        results[case.name] = {
            "description": case.description,
            "caught_by": case.caught_by,
            "gates": {outcome.name: outcome.passed for outcome in validation.outcomes},
            "metrics": {outcome.name: outcome.metrics for outcome in validation.outcomes},
        }
        print(f"  case {case.name}: {case.description}", flush=True)
    return results


def gallery_table(results: dict[str, dict[str, Any]]) -> str:
    """Markdown: one row per case, one column per gate; the gate a case is aimed at is in bold."""
    gates = list(next(iter(results.values()))["gates"])
    header = "| case | " + " | ".join(GATE_SHORT_NAMES.get(gate, gate) for gate in gates) + " |"
    lines = [header, "|---" * (len(gates) + 1) + "|"]
    for name, result in results.items():
        cells = []
        for gate in gates:
            verdict = "pass" if result["gates"][gate] else "FAIL"
            cells.append(f"**{verdict}**" if gate == result["caught_by"] else verdict)
        lines.append(f"| ({name}) {result['description']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def gallery_failures(results: dict[str, dict[str, Any]]) -> list[str]:
    """Cases the gates judge wrongly: the honest case failing a gate, or a case passing its own gate."""
    wrong = []
    for name, result in results.items():
        if result["caught_by"] is None:
            wrong += [f"({name}) fails {gate}" for gate, passed in result["gates"].items() if not passed]
        elif result["gates"][result["caught_by"]]:
            wrong.append(f"({name}) passes {result['caught_by']}")
    return wrong


def time_call(function: Callable[..., object], *arguments: object, **keywords: object) -> float:
    started = time.perf_counter()
    function(*arguments, **keywords)
    return time.perf_counter() - started


def compare_with_sdmetrics(
    train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame
) -> dict[str, Any]:
    """SDMetrics' DCROverfittingProtection at doubling sizes within the budget, then ours on the same rows."""
    metadata = sdv_metadata(ADULT_SCHEMA).to_dict()
    rows, largest, sdmetrics_seconds = SDMETRICS_FIRST_SIZE, None, None
    while rows <= len(train):
        sample_train, sample_holdout = draw(train, rows, 1), draw(holdout, rows, 2)
        sample_synthetic = draw(synthetic, rows, 3)
        seconds = time_call(
            DCROverfittingProtection.compute, sample_train, sample_synthetic, sample_holdout, metadata, TABLE
        )
        print(f"  SDMetrics DCROverfittingProtection at {rows:,} rows: {seconds:.1f} s", flush=True)
        largest, sdmetrics_seconds = (sample_train, sample_holdout, sample_synthetic), seconds
        if seconds > SDMETRICS_BUDGET_S / 4:  # the next doubling takes about four times as long
            break
        rows *= 2
    sample_train, sample_holdout, sample_synthetic = largest
    ours = time_call(
        distance_to_closest_record,
        sample_train,
        sample_holdout,
        sample_synthetic,
        ADULT_SCHEMA,
        max_query_rows=len(sample_synthetic),
    )
    ratio = sdmetrics_seconds / ours
    projected = sdmetrics_seconds * (max(SIZES) / len(sample_train)) ** 2
    print(
        f"  Accrete exact DCR on the same {len(sample_train):,} rows: {ours:.2f} s; SDMetrics is {ratio:.0f}x slower"
    )
    print(f"  SDMetrics projected at {max(SIZES):,} rows (quadratic): {projected / 86_400:.0f} days")
    return {
        "rows": len(sample_train),
        "sdmetrics_seconds": round(sdmetrics_seconds, 2),
        "accrete_exact_seconds": round(ours, 2),
        "ratio": round(ratio, 1),
        f"sdmetrics_projected_seconds_at_{max(SIZES)}": round(projected),
        "note": "SDMetrics timed at doubling sizes until the next one would exceed the budget; "
        "its chunked cross join grows with the square of the rows.",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--skip-sdmetrics", action="store_true")
    parser.add_argument("--skip-gallery", action="store_true")
    arguments = parser.parse_args()

    spec = load_spec(ADULT_SPEC)
    adult_train, adult_test = load_adult("train"), load_adult("test")
    print("fitting GaussianCopula on all Adult training rows", flush=True)
    generator = GaussianCopulaBackend(ADULT_SCHEMA, seed=0)
    generator.fit(adult_train)
    synthetic_all = generator.sample(max(arguments.sizes))
    peak = PeakMemory()
    results: dict[str, Any] = {"machine": machine(), "sizes": {}}
    for rows in arguments.sizes:
        train = spec_columns(draw(adult_train, rows, seed=rows), spec, adult_train)
        holdout = spec_columns(
            draw(adult_test, int(rows * HOLDOUT_FRACTION), seed=rows + 1), spec, adult_train
        )
        synthetic = spec_columns(synthetic_all.head(rows), spec, adult_train)
        print(
            f"{rows:,} real training rows, {len(holdout):,} holdout rows, {rows:,} synthetic rows", flush=True
        )
        results["sizes"][str(rows)] = run_suite(spec, train, holdout, synthetic, peak)
        results["sizes"][str(rows)]["real_rows_resampled_with_replacement"] = rows > len(adult_train)
    if not arguments.skip_gallery:
        print("adversarial gallery", flush=True)
        gallery = run_gallery(adult_gallery_tables())
        print(gallery_table(gallery))
        results["gallery"] = gallery
        results["gallery_wrong"] = gallery_failures(gallery)
        print(f"wrongly judged: {results['gallery_wrong'] or 'none'}", flush=True)
    if not arguments.skip_sdmetrics:
        print("SDMetrics' distance metric for comparison", flush=True)
        results["sdmetrics_dcr_comparison"] = compare_with_sdmetrics(adult_train, adult_test, synthetic_all)
    peak.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")
    if results.get("gallery_wrong"):
        raise SystemExit("the adversarial gallery was judged wrongly")


if __name__ == "__main__":
    main()
