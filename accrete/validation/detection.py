"""Detection: can a classifier tell synthetic rows from real rows the generator never saw?

A histogram gradient-boosted tree (one feature per column, categories as native categorical
splits) learns to separate real holdout rows from synthetic rows on one half of each, and is
scored on the other half: its ROC AUC there is the detection score (0.5: indistinguishable,
1: every synthetic row gives itself away), with a 95% confidence interval. The real side is
the holdout, never the training rows: a synthetic row that is a twin of a training row would
otherwise be learned as "synthetic" and make its real twin look synthetic, dragging the AUC
of a copy below 0.5, where it reads as "indistinguishable".

The same classifier then scores real *training* rows against the held-out synthetic rows. If
the synthetic rows were fresh draws, training rows would look no more synthetic than holdout
rows; an AUC significantly below 0.5 means they do, because the synthetic rows the classifier
learned are tied to particular training rows (memorization), and that fails the gate too.

The ceiling is the same procedure with real training rows in the place of the synthetic rows:
what a perfect generator (fresh real rows) scores with this many rows. The columns that give
synthetic rows away are measured by permutation on (a sample of) the held-out rows: how much
the AUC drops when one column's values are shuffled. Each side is a seeded sample of at most ``max_rows``
rows, half to fit and half to score, so the cost stays flat as the tables grow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from accrete.table_schema import TableSchema
from accrete.validation.boosting import boosted_classifier, boosting_threads
from accrete.validation.feature_encoding import TableEncoder
from accrete.validation.intervals import auc_interval
from accrete.validation.markdown import markdown_table
from accrete.validation.outcome import GateOutcome

EXAMPLE_ROWS = 5
TOP_COLUMNS = 5
IMPORTANCE_ROWS = 10_000
"""Held-out rows per side the column ranking is measured on (a seeded sample; one prediction per column)."""


@dataclass
class DetectionResult:
    """Held-out real-vs-synthetic ROC AUC, the training-row AUC, and what drives them."""

    auc: float
    auc_interval: tuple[float, float]
    training_auc: float
    """AUC of the same classifier on real training rows against the held-out synthetic rows."""
    training_auc_interval: tuple[float, float]
    column_importance: pd.Series
    """AUC lost when the column is shuffled, per schema column, largest first."""
    rows_per_side: int
    """Rows of each side the AUC is measured on (as many again were used to fit)."""
    most_synthetic_looking: pd.DataFrame
    """The held-out synthetic rows the classifier was surest about, with its probability ``p_synthetic``."""


@dataclass
class _SplitClassifier:
    """A classifier fitted on the first half of each side, with the second halves to score it on."""

    model: HistGradientBoostingClassifier
    features: np.ndarray
    """Held-out rows: real first, then synthetic."""
    labels: np.ndarray
    synthetic_rows: pd.DataFrame
    """The held-out synthetic rows, in the order of their features."""


def _sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    return frame.sample(n=rows, random_state=seed).reset_index(drop=True)


def _fit_on_halves(
    real: pd.DataFrame, synthetic: pd.DataFrame, encoder: TableEncoder, max_rows: int, seed: int
) -> _SplitClassifier:
    rows = min(len(real), len(synthetic), max_rows)
    half = rows // 2
    real_sample, synthetic_sample = _sample(real, rows, seed), _sample(synthetic, rows, seed)
    real_features = encoder.classifier_features(real_sample)
    synthetic_features = encoder.classifier_features(synthetic_sample)
    fit_features = np.vstack([real_features[:half], synthetic_features[:half]])
    with boosting_threads(len(fit_features)):
        model = boosted_classifier(encoder.categorical_mask, seed).fit(fit_features, np.repeat([0, 1], half))
    held_out = rows - half
    return _SplitClassifier(
        model=model,
        features=np.vstack([real_features[half:], synthetic_features[half:]]),
        labels=np.repeat([0, 1], held_out),
        synthetic_rows=synthetic_sample.iloc[half:].reset_index(drop=True),
    )


def _p_synthetic(model: HistGradientBoostingClassifier, features: np.ndarray) -> np.ndarray:
    with boosting_threads(len(features)):
        return model.predict_proba(features)[:, 1]


def _auc_with_interval(labels: np.ndarray, scores: np.ndarray) -> tuple[float, tuple[float, float]]:
    auc = float(roc_auc_score(labels, scores))
    return auc, auc_interval(auc, int(labels.sum()), int(len(labels) - labels.sum()))


def _permutation_importance(split: _SplitClassifier, names: list[str], seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    rows = len(split.synthetic_rows)
    kept = np.concatenate([side * rows + np.sort(rng.permutation(rows)[:IMPORTANCE_ROWS]) for side in (0, 1)])
    features, labels = split.features[kept], split.labels[kept]
    auc = roc_auc_score(labels, _p_synthetic(split.model, features))
    importance = pd.Series(0.0, index=names)
    for position, name in enumerate(names):
        shuffled = features.copy()
        shuffled[:, position] = rng.permutation(shuffled[:, position])
        importance[name] = max(auc - roc_auc_score(labels, _p_synthetic(split.model, shuffled)), 0.0)
    return importance.sort_values(ascending=False)


def detection_scores(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: TableSchema,
    max_rows: int = 50_000,
    seed: int = 0,
) -> DetectionResult:
    """Fit holdout-vs-synthetic on half of each sample, score the other half and real training rows."""
    encoder = TableEncoder(schema, train)
    split = _fit_on_halves(holdout, synthetic, encoder, max_rows, seed)
    scores = _p_synthetic(split.model, split.features)
    auc, interval = _auc_with_interval(split.labels, scores)

    held_out = len(split.synthetic_rows)
    training_rows = _sample(train, min(len(train), held_out), seed + 1)
    training_scores = _p_synthetic(split.model, encoder.classifier_features(training_rows))
    synthetic_scores = scores[held_out:]
    training_auc, training_interval = _auc_with_interval(
        np.repeat([0, 1], [len(training_rows), held_out]), np.concatenate([training_scores, synthetic_scores])
    )
    surest = np.argsort(-synthetic_scores, kind="stable")[:EXAMPLE_ROWS]
    return DetectionResult(
        auc=auc,
        auc_interval=interval,
        training_auc=training_auc,
        training_auc_interval=training_interval,
        column_importance=_permutation_importance(split, schema.names, seed),
        rows_per_side=held_out,
        most_synthetic_looking=split.synthetic_rows.iloc[surest].assign(p_synthetic=synthetic_scores[surest]),
    )


def detection_ceiling(
    train: pd.DataFrame, holdout: pd.DataFrame, schema: TableSchema, max_rows: int = 50_000, seed: int = 0
) -> float:
    """The detection AUC of a perfect generator: the same procedure with real training rows as "synthetic"."""
    split = _fit_on_halves(holdout, train, TableEncoder(schema, train), max_rows, seed)
    return float(roc_auc_score(split.labels, _p_synthetic(split.model, split.features)))


def detection_gate(
    result: DetectionResult, ceiling: float | None = None, max_auc: float = 0.75
) -> GateOutcome:
    """Fails when the held-out AUC exceeds ``max_auc`` (synthetic rows give themselves away), or when
    either AUC's interval lies wholly below 0.5 (synthetic rows tied to particular real rows)."""
    low, high = result.auc_interval
    training_low, training_high = result.training_auc_interval
    detectable = result.auc > max_auc
    tied = high < 0.5 or training_high < 0.5
    passed = not detectable and not tied
    top = result.column_importance.head(TOP_COLUMNS)
    giveaways = (
        ", ".join(f"{name} (-{drop:.3f})" for name, drop in top.items() if drop > 0) or "no single column"
    )
    ceiling_note = f"; real training rows in their place score {ceiling:.3f}" if ceiling is not None else ""
    summary = (
        f"A classifier fitted on real holdout vs synthetic rows tells held-out ones apart with ROC AUC "
        f"{result.auc:.3f} (95% CI {low:.3f}-{high:.3f}; 0.5 = indistinguishable, allowed up to {max_auc:.2f}) "
        f"over {result.rows_per_side:,} rows a side{ceiling_note}. On real training rows it scores "
        f"{result.training_auc:.3f} (95% CI {training_low:.3f}-{training_high:.3f}; wholly below 0.5 means "
        f"synthetic rows are tied to training rows). Columns that give synthetic rows away most "
        f"(AUC lost without them): {giveaways}."
    )
    metrics = {
        "auc": result.auc,
        "auc_ci_low": low,
        "auc_ci_high": high,
        "training_auc": result.training_auc,
        "training_auc_ci_low": training_low,
        "training_auc_ci_high": training_high,
        "rows_per_side": float(result.rows_per_side),
    }
    metrics |= {f"importance_{name}": float(drop) for name, drop in result.column_importance.items()}
    details = ""
    if not passed:
        ranking = (
            result.column_importance.rename("auc_lost_when_shuffled").rename_axis("column").reset_index()
        )
        details = (
            "### Columns that give synthetic rows away\n\n"
            + markdown_table(ranking, TOP_COLUMNS)
            + "\n\n### Synthetic rows the classifier is surest about\n\n"
            + markdown_table(result.most_synthetic_looking, EXAMPLE_ROWS)
        )
    ceilings = {"auc": ceiling} if ceiling is not None else {}
    return GateOutcome("detection", passed, summary, metrics, details, ceilings)
