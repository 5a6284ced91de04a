"""Small generated datasets to run beside the bundled ones, for tests of many datasets at once.

Each is a whole-file dataset of a few hundred rows with a category, an amount, a count and a
target that depends on the count. Their gates are opened wide on purpose: these tables test the
orchestration (locks, pools, isolation), not the generator; the gates are tested elsewhere on
tables that must fail them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

OPEN_GATES = {
    "min_quality": 0.0,
    "min_column_shapes": 0.0,
    "min_column_pair_trends": 0.0,
    "min_diagnostic": 0.0,
    "max_detection_auc": 1.0,
    "min_utility_ratio": 0.0,
    "dcr_max_share_above_expected": 1.0,
    "dcr_max_close_share": 1.0,
    "max_copy_rate_above_holdout": 1.0,
    "max_rare_combination_rate_above_holdout": 1.0,
    "max_out_of_range_rate_above_holdout": 1.0,
    "representation_max_relative_drop": 1.0,
    "representation_max_relative_rise": 1000.0,
    "representation_min_group_quality": 0.0,
}


def small_rows(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    visits = rng.poisson(4, rows)
    return pd.DataFrame(
        {
            "segment": rng.choice(["retail", "business", "public"], rows, p=[0.6, 0.3, 0.1]),
            "amount": np.round(rng.gamma(2.0, 150.0, rows), 2),
            "visits": visits,
            "churned": np.where(visits + rng.normal(0, 1.5, rows) < 3, "yes", "no"),
        }
    )


def write_small_dataset(datasets: Path, landing: Path, name: str, seed: int, rows: int = 400) -> None:
    """A spec in ``datasets/<name>/`` and one landing file in ``landing/<name>/``."""
    (landing / name).mkdir(parents=True, exist_ok=True)
    small_rows(rows, seed).to_csv(landing / name / f"{name}-1.csv", index=False)
    spec = {
        "name": name,
        "description": "A small generated table for tests of many datasets at once.",
        "source": "tests/small_datasets.py, numpy seed " + str(seed),
        "licence": "CC0 1.0",
        "landing": {"pattern": f"{name}-*.csv"},
        "format": {"kind": "csv", "header": True},
        "columns": {
            "segment": {"type": "categorical", "categories": ["retail", "business", "public"]},
            "amount": {"type": "numerical", "min": 0},
            "visits": {"type": "numerical", "integer": True, "min": 0},
            "churned": {"type": "categorical", "categories": ["no", "yes"]},
        },
        "target": "churned",
        "holdout_fraction": 0.25,
        "generator": {"backend": "gaussian_copula", "seed": seed},
        "synthetic": {"rows": 200},
        "collapse_monitor": {"generations": 2, "training_rows": 200, "holdout_rows": 100},
        "gates": OPEN_GATES,
    }
    (datasets / name).mkdir(parents=True, exist_ok=True)
    (datasets / name / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
