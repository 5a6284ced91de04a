"""The collapse monitor's experiment on the bundled data, with and without rare-category protection.

What replace loses over generations has two causes: collapse (a generator learning from the last
one's output drifts away from the real data) and, in production models, the privacy rule that a
category seen fewer than ``rare_category_min_count`` times is never emitted (under replace, a
category that falls below it once is gone by rule). The monitor runs with the rule off; this
benchmark runs the same experiment both ways, on the samples the monitor uses, so that the two
effects can be told apart. Both policies take the same gradient steps in every generation.

Run: ``python -m bench.collapse_effects`` (about 10 minutes on two cores); results in
``bench/results/collapse.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from accrete.monitor.collapse import SMALL_SETTINGS, run_collapse_experiment, summarise_collapse
from accrete.spec import load_spec
from bench.adult import load_adult
from bench.validation import spec_columns

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "collapse.json"
PROTECTION = {"off (the monitor)": 1, "on (production, 5)": 5}


def adult_sample(spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    train, test = load_adult("train"), load_adult("test")
    monitor = spec.collapse_monitor
    train = spec_columns(train, spec, train).sample(monitor.training_rows, random_state=spec.generator.seed)
    holdout = spec_columns(test, spec, train).sample(monitor.holdout_rows, random_state=spec.generator.seed)
    return train.reset_index(drop=True), holdout.reset_index(drop=True)


def flights_first_week(spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = duckdb.sql(
        f"select * from read_parquet('{REPO / 'datasets' / 'flights' / 'flights.parquet'}') "
        "where month = 1 and day <= 7"
    ).df()
    rows = spec_columns(rows, spec, rows).sample(frac=1.0, random_state=spec.generator.seed)
    monitor = spec.collapse_monitor
    holdout_rows = min(monitor.holdout_rows, len(rows) // 5)
    holdout, train = rows.iloc[:holdout_rows], rows.iloc[holdout_rows:]
    return train.head(monitor.training_rows).reset_index(drop=True), holdout.reset_index(drop=True)


def main() -> None:
    results = {}
    for name, sample in (("adult", adult_sample), ("flights", flights_first_week)):
        spec = load_spec(REPO / "datasets" / name / "spec.yaml")
        train, holdout = sample(spec)
        for label, min_count in PROTECTION.items():
            settings = {**SMALL_SETTINGS, "rare_category_min_count": min_count}
            result = run_collapse_experiment(
                train,
                holdout,
                spec.training_schema,
                generations=spec.collapse_monitor.generations,
                settings=settings,
                seed=spec.generator.seed,
                rare_share=spec.collapse_monitor.rare_share,
            )
            results[f"{name} / protection {label}"] = {
                "generations": result.round(4).to_dict(orient="records"),
                "last_vs_first": {key: round(value, 4) for key, value in summarise_collapse(result).items()},
            }
            first = result[result["generation"] == 0].iloc[0]
            for policy in ("replace", "accumulate"):
                last = result[result["policy"] == policy].iloc[-1]
                print(
                    f"{name:8} protection {label:20} {policy:10} "
                    + "  ".join(
                        f"{metric} {first[metric]:.3f} -> {last[metric]:.3f}"
                        for metric in ("variance_ratio", "tail_mass_ratio", "rare_category_recall", "quality")
                    ),
                    flush=True,
                )
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
