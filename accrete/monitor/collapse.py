"""Model collapse, measured: why Accrete accumulates real data instead of replacing it.

A generator trained on the output of a generator trained on the output of ... loses the tails of
the distribution generation after generation ("model collapse"): variances shrink, extreme values
stop appearing, rare categories vanish and never return. Keeping every real row and adding each
synthetic generation beside it keeps the error bounded. This module runs that experiment on a
real table so the claim is checked on the data at hand rather than taken on trust:

- *replace*: generation 0 learns from the real training rows, generation k only from the
  synthetic rows of generation k-1;
- *accumulate*: generation 0 learns from the real training rows, generation k from the real
  training rows plus the synthetic rows of generations 0 .. k-1.

Every generation samples as many rows as the real training table has and is judged against a
real holdout that no generator sees. Two effects that are not collapse are taken out:

- *more training*: accumulate's generation k learns from k+1 times the rows; with the same
  epochs and batches it would also take k+1 times the gradient steps. Its batches grow with its
  rows instead, so both policies take the same number of steps in every generation.
- *privacy protection*: in production a category seen fewer than ``rare_category_min_count``
  times is never emitted, so under replace a category that falls below it in one generation's
  sample could never come back by rule. The monitor's models never leave the monitor, so they
  run with the protection off: what replace loses here is collapse alone.

Plain pandas, numpy and matplotlib: no Dagster import.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from accrete.generator.base import ProgressCallback
from accrete.generator.registry import backend_class
from accrete.table_schema import TableSchema
from accrete.validation.fidelity import fidelity_scores

POLICIES = ("replace", "accumulate")
METRICS = ("variance_ratio", "tail_mass_ratio", "rare_category_recall", "quality")
COLUMNS = ("policy", "generation", *METRICS, "training_rows", "batch_size")
TAIL_QUANTILES = (0.01, 0.99)
SMALL_SETTINGS: Mapping[str, Any] = MappingProxyType(
    {
        "epochs": 10,
        "batch_size": 256,
        "learning_rate": 0.01,
        "patience": 10,
        "max_seconds": None,
        "rare_category_min_count": 1,
    }
)
"""Quick autoregressive settings: a fixed number of epochs and no time budget, so a run is
reproducible on a fast or a busy machine; rare categories are not withheld (see above)."""


def equal_step_settings(settings: Mapping[str, Any], training_rows: int, real_rows: int) -> dict[str, Any]:
    """``settings`` for a generation that learns from ``training_rows``, so that it takes as many
    gradient steps as one learning from the ``real_rows``: its batch grows in proportion."""
    scaled = dict(settings)
    if "batch_size" in scaled:
        scaled["batch_size"] = max(1, round(scaled["batch_size"] * training_rows / real_rows))
    return scaled


def rare_categories(real: pd.DataFrame, schema: TableSchema, max_share: float) -> dict[str, pd.Index]:
    """Per categorical column, the categories present in ``real`` on fewer than ``max_share`` of its rows
    (a categorical dtype's unused categories are not present, so they are left out)."""
    rare = {}
    for column in schema.columns:
        if column.kind == "categorical":
            counts = real[column.name].value_counts()
            rare[column.name] = counts.index[(counts > 0) & (counts < max_share * len(real))]
    return rare


def rare_category_recall(synthetic: pd.DataFrame, rare: Mapping[str, pd.Index]) -> float:
    """Share of the rare real categories that occur at least once in ``synthetic`` (NaN when none are rare)."""
    found = sum(int(categories.isin(synthetic[name]).sum()) for name, categories in rare.items())
    total = sum(len(categories) for categories in rare.values())
    return found / total if total else float("nan")


def _numbers(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    return frame[names].apply(pd.to_numeric, errors="coerce").astype(float)


def variance_ratio(synthetic: pd.DataFrame, holdout: pd.DataFrame, names: list[str]) -> float:
    """Median over the numerical columns of var(synthetic) / var(holdout): 1 is perfect, collapse
    drives it below 1. Columns constant in the holdout are left out."""
    real_variance = _numbers(holdout, names).var()
    ratios = _numbers(synthetic, names).var() / real_variance.where(real_variance > 0)
    return float(ratios.median())


def tail_mass_ratio(synthetic: pd.DataFrame, holdout: pd.DataFrame, names: list[str]) -> float:
    """How often the synthetic rows reach the holdout's tails, relative to the holdout itself.

    Per numerical column: the share of synthetic values below the holdout's 1st or above its
    99th percentile, divided by the holdout's own share there (about 0.02); the mean over the
    columns whose holdout has values out there. 1 is perfect; a collapsed generator tends to 0.
    """
    real = _numbers(holdout, names)
    low, high = real.quantile(TAIL_QUANTILES[0]), real.quantile(TAIL_QUANTILES[1])

    def tail_share(frame: pd.DataFrame) -> pd.Series:
        return (frame.lt(low) | frame.gt(high)).sum() / frame.notna().sum()

    real_share = tail_share(real)
    return float((tail_share(_numbers(synthetic, names)) / real_share.where(real_share > 0)).mean())


def generation_metrics(
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: TableSchema,
    rare: Mapping[str, pd.Index],
    quality_max_rows: int,
    seed: int = 0,
) -> dict[str, float]:
    """The four collapse metrics of one generation's synthetic rows against the real holdout."""
    numerical = [column.name for column in schema.columns if column.kind == "numerical"]
    return {
        "variance_ratio": variance_ratio(synthetic, holdout, numerical),
        "tail_mass_ratio": tail_mass_ratio(synthetic, holdout, numerical),
        "rare_category_recall": rare_category_recall(synthetic, rare),
        "quality": fidelity_scores(holdout, synthetic, schema, max_rows=quality_max_rows, seed=seed).quality,
    }


def _check_arguments(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: TableSchema,
    generations: int,
    rare_share: float,
    quality_max_rows: int,
) -> None:
    if not isinstance(generations, int) or generations < 1:
        raise ValueError(f"generations must be an integer >= 1, got {generations!r}")
    if not 0 < rare_share < 1:
        raise ValueError(f"rare_share must be between 0 and 1, got {rare_share!r}")
    if quality_max_rows < 1:
        raise ValueError(f"quality_max_rows must be >= 1, got {quality_max_rows!r}")
    for label, frame in (("training", train), ("holdout", holdout)):
        if frame.empty:
            raise ValueError(f"the {label} frame is empty: the collapse experiment needs real rows")
        missing = [name for name in schema.names if name not in frame.columns]
        if missing:
            raise ValueError(f"the {label} frame lacks the schema's column(s) {', '.join(missing)}")


def run_collapse_experiment(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: TableSchema,
    generations: int = 5,
    backend: str = "autoregressive",
    settings: Mapping[str, Any] | None = None,
    seed: int = 0,
    rare_share: float = 0.01,
    quality_max_rows: int = 500,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Train ``generations`` generators under each policy and measure each against ``holdout``.

    Returns one row per policy and generation (columns ``COLUMNS``). Generation 0 is a single
    model trained on ``train``, shared by both policies. Generation k fits and samples with seed
    ``seed + k``, so the same inputs give the same frame. Rare categories are those on fewer than
    ``rare_share`` of the real training rows (the rows generation 0 saw); the SDMetrics quality
    is computed on at most ``quality_max_rows`` rows per table, since it is slow. ``settings``
    default to SMALL_SETTINGS for the autoregressive backend, to the backend's own otherwise.
    ``progress``, when given, receives each row as a dict as soon as it is measured.
    """
    _check_arguments(train, holdout, schema, generations, rare_share, quality_max_rows)
    if settings is None:
        settings = SMALL_SETTINGS if backend == "autoregressive" else {}
    real = train[schema.names]
    rare = rare_categories(real, schema, rare_share)

    def generation(number: int, training: pd.DataFrame) -> tuple[dict[str, Any], pd.DataFrame]:
        generation_settings = equal_step_settings(settings, len(training), len(real))
        model = backend_class(backend)(schema, generation_settings, seed + number)
        model.fit(training)
        synthetic = model.sample(len(real), seed=seed + number)
        metrics = generation_metrics(synthetic, holdout, schema, rare, quality_max_rows, seed)
        measured = {"generation": number, **metrics, "training_rows": len(training)}
        return {**measured, "batch_size": generation_settings.get("batch_size")}, synthetic

    rows = []

    def record(policy: str, measured: dict[str, Any]) -> None:
        rows.append({"policy": policy, **measured})
        if progress:
            progress(rows[-1])

    first_measured, first_synthetic = generation(0, real)
    for policy in POLICIES:
        record(policy, first_measured)
        synthetic = [first_synthetic]
        for number in range(1, generations):
            training = (
                synthetic[-1] if policy == "replace" else pd.concat([real, *synthetic], ignore_index=True)
            )
            measured, sample = generation(number, training)
            record(policy, measured)
            synthetic.append(sample)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def summarise_collapse(result: pd.DataFrame) -> dict[str, float]:
    """For each policy and metric, the last generation's value divided by generation 0's.

    Keys are ``"<policy>/<metric>"``; 1.0 means no drift over the generations, below 1 means the
    property decayed (NaN where generation 0 scored 0). Flat floats, ready for asset metadata.
    """
    summary = {}
    for policy, curve in result.sort_values("generation").groupby("policy", sort=False):
        first, last = curve.iloc[0], curve.iloc[-1]
        for metric in METRICS:
            summary[f"{policy}/{metric}"] = (
                float(last[metric] / first[metric]) if first[metric] else float("nan")
            )
    return summary


def collapse_figure(result: pd.DataFrame) -> Figure:
    """One panel per metric, generation on the x axis, one line per policy; 1.0 marked as ideal
    where the metric is a ratio to the real data. Built without pyplot, so safe in any thread."""
    figure = Figure(figsize=(4 * len(METRICS), 3.4), layout="constrained")
    for axes, metric in zip(figure.subplots(1, len(METRICS)), METRICS, strict=True):
        for policy, curve in result.sort_values("generation").groupby("policy", sort=False):
            axes.plot(curve["generation"], curve[metric], marker="o", label=policy)
        if metric in ("variance_ratio", "tail_mass_ratio"):
            axes.axhline(1.0, color="grey", linestyle=":", linewidth=1)
        axes.set_title(metric.replace("_", " "))
        axes.set_xlabel("generation")
        axes.xaxis.get_major_locator().set_params(integer=True)
    figure.axes[0].legend()
    return figure
