"""Rules benchmark: synthetic rows that break the bundled specs' rules, without and with them.

Run ``make bench-rules`` after ``make run``: it reads each bundled dataset's real training and
holdout tables from the warehouse ``make run`` wrote. For adult, flights (its first week) and
credit, the spec's own generator (backend, settings, seed) is trained twice on the training rows,
once ignoring the spec's rules (what ``make run`` did before rules existed) and once keeping them,
and each samples the spec's number of synthetic rows with the spec's sampling seed. Printed side by
side: rows breaking each rule, rows redrawn to keep it, SDMetrics quality and pair trends against
the training rows, the gate's held-out detection AUC, and fit and sampling seconds.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from accrete.generator.registry import backend_class
from accrete.rules.reference_tables import rule_reference_values
from accrete.rules.rule_bound import rule_bound_generator
from accrete.rules.violations import rule_violations
from accrete.spec import DatasetSpec, load_specs
from accrete.synthetic.sample import conform_to_schema, draw_rows, draw_rows_keeping_rules, sampling_seed
from accrete.tables import DatasetTables
from accrete.validation.detection import detection_scores
from accrete.validation.fidelity import fidelity_scores
from accrete.warehouse import connect, read_table

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "rules.json"
SPECS = REPO / "datasets"
DATASETS = ("adult", "flights", "credit")


def real_rows(spec: DatasetSpec, warehouse: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training and holdout rows ``make run`` left in the ``warehouse`` file."""
    tables = DatasetTables(spec.name)
    with connect(warehouse, read_only=True) as connection:
        train = read_table(connection, tables.train, spec.training_schema.names)
        holdout = read_table(connection, tables.holdout, spec.training_schema.names)
    return train, holdout


def run_variant(
    spec: DatasetSpec, train: pd.DataFrame, holdout: pd.DataFrame, keep_rules: bool
) -> dict[str, Any]:
    """Train, sample and score the spec's generator, keeping its rules or not."""
    generator = spec.generator
    schema = spec.training_schema
    if keep_rules:
        backend = rule_bound_generator(
            generator.backend, schema, spec.sampling_rules, generator.backend_settings, generator.seed
        )
    else:
        backend = backend_class(generator.backend)(schema, generator.backend_settings, generator.seed)
    started = time.perf_counter()
    backend.fit(train)
    fitted = time.perf_counter()
    seed = sampling_seed(f"{spec.name}-bench")
    if keep_rules:
        drawn, redrawn = draw_rows_keeping_rules(backend, spec.synthetic, seed)
    else:
        drawn, redrawn = draw_rows(backend, spec.synthetic, seed), {}
    sampled = time.perf_counter()
    synthetic = conform_to_schema(drawn, schema)  # typed as the synthetic table the pipeline writes
    real = pd.concat([train, holdout], ignore_index=True)
    references = rule_reference_values(spec.rules, SPECS / spec.name)
    violations = rule_violations(synthetic, spec.sampling_rules, real, references)
    fidelity = fidelity_scores(train, synthetic, schema, max_rows=spec.gates.fidelity_max_rows, seed=0)
    detection = detection_scores(train, holdout, synthetic, schema, max_rows=spec.gates.validation_max_rows)
    return {
        "violations": {name: int(len(rows)) for name, rows in violations.items()},
        "redrawn": redrawn,
        "quality": fidelity.quality,
        "column_pair_trends": fidelity.column_pair_trends,
        "detection_auc": detection.auc,
        "fit_seconds": fitted - started,
        "sample_seconds": sampled - fitted,
    }


def print_dataset(name: str, rows: int, result: dict[str, dict[str, Any]]) -> None:
    without, kept = result["without_rules"], result["with_rules"]
    print(f"\n{name} ({rows:,} synthetic rows)")
    print(f"  {'rule':<30} {'breaking rows without':>22} {'with rules':>11} {'rows redrawn':>13}")
    for rule, count in without["violations"].items():
        print(
            f"  {rule:<30} {count:>22,} {kept['violations'][rule]:>11,} {kept['redrawn'].get(rule, 0):>13,}"
        )
    for metric, spec in (("quality", ".3f"), ("column_pair_trends", ".3f"), ("detection_auc", ".3f")):
        print(f"  {metric:<30} {without[metric]:>22{spec}} {kept[metric]:>11{spec}}")
    for metric in ("fit_seconds", "sample_seconds"):
        ratio = kept[metric] / without[metric]
        print(f"  {metric:<30} {without[metric]:>22.1f} {kept[metric]:>11.1f}   (x{ratio:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="The DuckDB file `make run` wrote.")
    warehouse = parser.parse_args().warehouse
    specs = load_specs(SPECS)
    results = {}
    for name in DATASETS:
        spec = specs[name]
        train, holdout = real_rows(spec, warehouse)
        results[name] = {
            variant: run_variant(spec, train, holdout, keep_rules)
            for variant, keep_rules in (("without_rules", False), ("with_rules", True))
        }
        print_dataset(name, spec.synthetic.rows, results[name])
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1))
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
