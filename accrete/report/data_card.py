"""The data card: how a dataset's synthetic data was made, in markdown a reviewer can read."""

from __future__ import annotations

import json
from typing import Any

from accrete.generator.privacy_budget import privacy_statement
from accrete.spec import DatasetSpec
from accrete.tables import DatasetTables
from accrete.validation.outcome import GateOutcome
from accrete.validation.parity import ParityGaps
from accrete.validation.report_html import ceiling_rows

KNOWN_LIMITS = (
    "Synthetic rows imitate the real training rows' distribution; they inherit its biases and "
    "its gaps (a group absent from the real data is absent here too).",
    "Imputed values (flagged `<column>_was_missing`) are group medians or modes, not observations.",
    "Passing the gates lowers, but does not remove, the risk that a synthetic row resembles a real person.",
)


def render_data_card(
    spec: DatasetSpec,
    row_counts: dict[str, int],
    manifest: dict[str, Any],
    outcomes: list[GateOutcome],
    validation_report: str,
    quarantined: int,
    parity_gaps: ParityGaps | None = None,
) -> str:
    """Markdown: source and licence, rows in and out (``quarantined``: landing rows set aside for their
    values), generator and settings, gate scores beside their ceilings, fairness (``parity_gaps``,
    under ``synthetic.fairness``), limits."""
    rows = "\n".join(f"| {stage} | {count:,} |" for stage, count in row_counts.items())
    if spec.on_invalid == "quarantine":
        invalid = (
            f"Invalid landing rows (a value not of its type, an unknown category, out of range, a required "
            f"value missing): {quarantined:,}, kept in `{DatasetTables(spec.name).quarantine}` with the "
            "reason of each (on_invalid: quarantine), never used."
        )
    else:
        invalid = (
            "A landing file with an invalid value is refused whole (on_invalid: refuse): no row was dropped."
        )
    gates = (
        "\n".join(
            f"| {outcome.name} | {'passed' if outcome.passed else '**failed**'} | {outcome.summary} |"
            for outcome in outcomes
        )
        or "| (none recorded) | | |"
    )
    ceilings = (
        "\n".join(
            f"| {gate} | {score} | {value:.4f} | {ceiling:.4f} |"
            for gate, score, value, ceiling in ceiling_rows(outcomes)
        )
        or "| (none recorded) | | | |"
    )
    limits = "\n".join(f"- {limit}" for limit in KNOWN_LIMITS)
    identifiers = ", ".join(spec.identifier_columns) or "none declared"
    return f"""# Data card: synthetic {spec.name}

{spec.description}

## Source
- **Source**: {spec.source}
- **Licence**: {spec.licence}
- **Direct identifiers dropped before training**: {identifiers}
- **Sensitive attributes**: {", ".join(spec.sensitive) or "none declared"}

## Rows in and out
| stage | rows |
|---|---|
{rows}

{invalid}
Holdout: {spec.holdout_fraction:.0%} of real rows, chosen by a hash of each row's key, never seen by a generator.
Mixed table ({spec.mix.policy} policy): every real training row plus rows of every generation that passed
the gates, at most {spec.mix.max_synthetic_share:.0%} synthetic. The generator learns from: {spec.generator.training_data.replace("_", " ")}.

## Generator
- **Version**: `{manifest.get("version")}` ({manifest.get("backend")}), trained
  {manifest.get("trained_at")} on {manifest.get("training_rows", 0):,} rows in {manifest.get("fit_seconds")} s
  on {manifest.get("device")}
- **Training data version**: `{manifest.get("training_data_version")}`; spec sha256 `{str(manifest.get("spec_sha256"))[:16]}`
- **Settings**: `{json.dumps(manifest.get("settings", {}), sort_keys=True)}`, seed {manifest.get("seed")}
- **Privacy**: {privacy_statement(manifest.get("privacy"))}

## Validation gates
| gate | verdict | summary |
|---|---|---|
{gates}

Each score beside its ceiling, the same score for real holdout rows against the training rows
(what a perfect generator would get):

| gate | score | synthetic | real holdout rows |
|---|---|---|---|
{ceilings}

Full validation report (plots of every column, pair trends, privacy distances, groups): `{validation_report}`
{_fairness_section(spec, parity_gaps, outcomes)}
## Known limits
{limits}
"""


def _fairness_section(spec: DatasetSpec, gaps: ParityGaps | None, outcomes: list[GateOutcome]) -> str:
    """The parity gap before and after, and what it cost in utility; empty without fairness."""
    fairness = spec.synthetic.fairness
    if fairness is None or gaps is None:
        return ""
    target, sensitive = fairness.target, fairness.sensitive
    utility = next((outcome.metrics for outcome in outcomes if outcome.name == "utility"), None)
    if utility is None or spec.target != target:
        cost = f"The utility gate has no score for `{target}` to show what this cost."
    else:
        cost = (
            f"What it cost: predicting `{target}` on the real holdout, a model trained on the synthetic rows "
            f"scores ROC AUC {utility['synthetic_score']:.3f} against {utility['real_score']:.3f} for one "
            "trained on the real rows."
        )
        if "synthetic_prediction_parity_gap" in utility:
            cost += (
                f" The parity gap of their predictions across `{sensitive}`: "
                f"{utility['synthetic_prediction_parity_gap']:.3f} against "
                f"{utility['real_prediction_parity_gap']:.3f}."
            )
    return f"""
## Fairness on purpose
Synthetic `{target}` is sampled independently of `{sensitive}` (synthetic.fairness, statistical
parity); `{sensitive}` keeps its shares and every other column stays conditional on both. Parity
gap: over the values of `{target}`, the largest difference between two groups of `{sensitive}` in
the share of their rows with that value (0: no difference).

| rows | parity gap |
|---|---|
| real training rows | {gaps.real:.4f} |
| synthetic rows | {gaps.synthetic:.4f} |

{cost}
"""
