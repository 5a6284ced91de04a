"""The data guard: a synthetic generation may join the data only with a passing verdict from every gate.

Blocking checks stop the rest of the run they belong to; this guard holds whatever launched the
step (a person in the UI, a backfill, automation): the step that keeps a generation reads the
verdicts recorded for that generator version and refuses it when one is missing or failed.
"""

from __future__ import annotations

from accrete.spec import DatasetSpec
from accrete.validation.expectations import suite_outcome_name
from accrete.validation.gates import applicable_gates
from accrete.validation.outcome import GateOutcome


def required_verdicts(spec: DatasetSpec) -> list[str]:
    """The verdicts a synthetic table of ``spec`` needs: every applicable gate and its expectations suite."""
    return [gate.name for gate in applicable_gates(spec)] + [suite_outcome_name("synthetic")]


def release_problems(spec: DatasetSpec, outcomes: list[GateOutcome]) -> list[str]:
    """Why the generation whose recorded verdicts are ``outcomes`` may not be kept (empty: it may)."""
    recorded = {outcome.name: outcome for outcome in outcomes}
    problems = []
    for name in required_verdicts(spec):
        if name not in recorded:
            problems.append(f"{name}: no verdict recorded")
        elif not recorded[name].passed:
            problems.append(f"{name}: failed ({recorded[name].summary})")
    return problems
