"""Utility: train on synthetic, test on real (TSTR) against train on real, test on real (TRTR).

The same histogram gradient-boosted model is trained once on (a seeded sample of) the
synthetic rows and once on the real training rows, and both are scored on the real holdout
that neither the generator nor the models saw. A categorical or boolean target is scored
by ROC AUC (one-vs-rest, macro, when there are more than two classes), with accuracy and
macro F1 alongside; a numerical target by R². The gate is on the ratio TSTR / TRTR. Given a
sensitive column, each classifier's predictions on the holdout get their statistical-parity gap
across its groups too (``accrete.validation.parity``): what a model trained on the rows would do.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, r2_score, roc_auc_score

from accrete.table_schema import ModelColumn, TableSchema
from accrete.validation.boosting import boosted_classifier, boosted_regressor, boosting_threads
from accrete.validation.feature_encoding import MISSING, TableEncoder, category_text
from accrete.validation.markdown import markdown_table
from accrete.validation.outcome import GateOutcome
from accrete.validation.parity import parity_gap


@dataclass
class UtilityResult:
    """Holdout scores of a model trained on synthetic rows and of one trained on real rows."""

    target: str
    metric: str
    synthetic_score: float
    real_score: float
    extra: dict[str, float]
    """Secondary holdout scores (accuracy and macro F1 for classification, the predictions' parity
    gap given a sensitive column), prefixed real_/synthetic_."""

    @property
    def ratio(self) -> float:
        """TSTR / TRTR; NaN when the real model has no skill (score <= 0) to compare against."""
        return self.synthetic_score / self.real_score if self.real_score > 0 else float("nan")


def _classification_scores(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    mask: list[bool],
    seed: int,
    groups: np.ndarray | None = None,
) -> dict[str, float]:
    """Holdout scores of a classifier; with ``groups`` (each holdout row's sensitive group), also
    the parity gap of its predictions across them (0 for a model that predicts one class)."""
    classes = np.unique(test_y)
    fairness = {} if groups is None else {"prediction_parity_gap": 0.0}
    if len(np.unique(train_y)) < 2:
        return {"roc_auc": 0.0, "accuracy": 0.0, "f1_macro": 0.0, **fairness}
    model = boosted_classifier(mask, seed).fit(train_x, train_y)
    probabilities = pd.DataFrame(model.predict_proba(test_x), columns=model.classes_)
    probabilities = probabilities.reindex(columns=classes, fill_value=0.0)
    if len(classes) == 2:
        auc = roc_auc_score(test_y == classes[1], probabilities[classes[1]])
    else:
        normalised = probabilities.to_numpy() / np.clip(
            probabilities.to_numpy().sum(axis=1, keepdims=True), 1e-12, None
        )
        auc = roc_auc_score(test_y, normalised, multi_class="ovr", average="macro", labels=classes)
    predictions = model.predict(test_x)
    if groups is not None:
        predicted = pd.DataFrame({"prediction": predictions, "group": groups})
        fairness["prediction_parity_gap"] = parity_gap(predicted, "prediction", "group")
    return {
        "roc_auc": float(auc),
        "accuracy": float(accuracy_score(test_y, predictions)),
        "f1_macro": float(f1_score(test_y, predictions, average="macro")),
        **fairness,
    }


def _regression_scores(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    mask: list[bool],
    seed: int,
) -> dict[str, float]:
    model = boosted_regressor(mask, seed).fit(train_x, train_y)
    return {"r2": float(r2_score(test_y, model.predict(test_x)))}


def _target_values(frame: pd.DataFrame, column: ModelColumn) -> np.ndarray:
    if column.kind == "numerical":
        return pd.to_numeric(frame[column.name], errors="coerce").to_numpy(dtype=np.float64)
    return category_text(frame[column.name]).to_numpy()


def utility_scores(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: TableSchema,
    target: str,
    max_rows: int = 50_000,
    seed: int = 0,
    sensitive: str | None = None,
) -> UtilityResult:
    """Score a model trained on synthetic rows and one trained on real rows on the real holdout;
    with ``sensitive`` (a categorical target only), also the parity gap of their predictions."""
    target_column = schema.column(target)
    features = TableSchema(tuple(column for column in schema.columns if column.name != target))
    train = train.sample(n=min(len(train), max_rows), random_state=seed)
    synthetic = synthetic.sample(n=min(len(synthetic), max_rows), random_state=seed)
    holdout = holdout.sample(n=min(len(holdout), max_rows), random_state=seed)
    if target_column.kind == "numerical":
        holdout = holdout[holdout[target].notna()]
    else:
        holdout = holdout[category_text(holdout[target]) != MISSING]
    encoder = TableEncoder(features, train)
    if target_column.kind == "numerical":
        score = _regression_scores
    else:
        groups = None if sensitive is None else holdout[sensitive].to_numpy()
        score = partial(_classification_scores, groups=groups)
    test_x, test_y = encoder.classifier_features(holdout), _target_values(holdout, target_column)
    results = {}
    for side, frame in (("real", train), ("synthetic", synthetic)):
        labels = _target_values(frame, target_column)
        known = ~pd.isna(labels) if target_column.kind == "numerical" else labels != MISSING
        with boosting_threads(int(known.sum())):
            results[side] = score(
                encoder.classifier_features(frame[known]),
                labels[known],
                test_x,
                test_y,
                encoder.categorical_mask,
                seed,
            )
    metric = "r2" if target_column.kind == "numerical" else "roc_auc"
    extra = {f"{side}_{name}": value for side, scores in results.items() for name, value in scores.items()}
    return UtilityResult(target, metric, results["synthetic"][metric], results["real"][metric], extra)


def utility_gate(result: UtilityResult, min_ratio: float = 0.9) -> GateOutcome:
    """Fails when the synthetic-trained model reaches less than ``min_ratio`` of the real-trained one."""
    ratio = result.ratio
    passed = bool(ratio >= min_ratio)
    metric_name = "R²" if result.metric == "r2" else "ROC AUC"
    summary = (
        f"Predicting {result.target!r} on the real holdout, a model trained on synthetic rows scores "
        f"{metric_name} {result.synthetic_score:.3f} against {result.real_score:.3f} for one trained on real rows: "
        f"{ratio:.1%} of the real model's score (at least {min_ratio:.0%} required)."
    )
    if np.isnan(ratio):
        summary += " The real model itself has no skill on this target, so the ratio is undefined."
    metrics = {"synthetic_score": result.synthetic_score, "real_score": result.real_score, "ratio": ratio}
    metrics |= result.extra
    details = ""
    if not passed:
        names = [key.removeprefix("real_") for key in result.extra if key.startswith("real_")]
        table = pd.DataFrame(
            {
                "holdout score": names,
                "trained on real": [result.extra[f"real_{name}"] for name in names],
                "trained on synthetic": [result.extra[f"synthetic_{name}"] for name in names],
            }
        )
        details = "### Holdout scores\n\n" + markdown_table(table)
    return GateOutcome("utility", passed, summary, metrics, details)
