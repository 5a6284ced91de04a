"""The rules gate: no synthetic row breaks a business rule of the spec.

Every rule the synthetic rows must keep (``DatasetSpec.sampling_rules``: the spec's rules and the
record key's uniqueness) is judged on every synthetic row; a single breaking row fails the gate,
with the breaking rows as examples. Combinations and dependencies are judged against all the real
rows (training and holdout), reference rules against their reference table.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from accrete.rules.rule_spec import Rule
from accrete.rules.violations import rule_violations
from accrete.validation.markdown import markdown_table
from accrete.validation.outcome import GateOutcome

EXAMPLE_ROWS = 5


def rules_gate(
    rules: list[Rule],
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    reference_values: Mapping[str, set[str]] | None = None,
) -> GateOutcome:
    """Pass when no row of ``synthetic`` breaks any of ``rules``."""
    found = rule_violations(synthetic, rules, real, reference_values)
    broken = {name: positions for name, positions in found.items() if len(positions)}
    metrics = {f"{name}_violations": float(len(positions)) for name, positions in found.items()}
    if not broken:
        return GateOutcome(
            "rules",
            True,
            f"All {len(synthetic):,} synthetic rows keep all {len(rules)} rules "
            f"({', '.join(rule.name for rule in rules)}).",
            metrics,
        )
    by_name = {rule.name: rule for rule in rules}
    sections = []
    for name, positions in broken.items():
        columns = by_name[name].columns_used
        examples = synthetic.iloc[positions[:EXAMPLE_ROWS]][columns].reset_index(drop=True)
        sections.append(f"**{name}**: {len(positions):,} rows break it, e.g.\n\n{markdown_table(examples)}")
    summary = "; ".join(f"{name}: {len(positions):,} rows" for name, positions in broken.items())
    return GateOutcome(
        "rules",
        False,
        f"Synthetic rows break {len(broken)} of {len(rules)} rules: {summary}.",
        metrics,
        details_md="\n\n".join(sections),
    )
