"""The verdict of one validation gate, in a shape every check reports the same way."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class GateOutcome:
    """A gate's verdict.

    ``summary`` is one sentence a data scientist understands, with the numbers behind it;
    ``metrics`` holds those numbers; ``details_md`` is markdown with the worst columns and
    example rows when the gate fails. ``ceilings`` holds, for a score in ``metrics``, the same
    score computed for real holdout rows against the training rows: what a perfect generator gets.
    """

    name: str
    passed: bool
    summary: str
    metrics: dict[str, float] = field(default_factory=dict)
    details_md: str = ""
    ceilings: dict[str, float] = field(default_factory=dict)
