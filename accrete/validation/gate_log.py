"""Gate verdicts as small JSON files, so the data card can quote them without a database lock.

Layout: ``<folder>/gates/<generator version>/<gate name>.json``; writing a verdict again for
the same version replaces it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from accrete.validation.outcome import GateOutcome


def _gate_folder(folder: Path, generator_version: str) -> Path:
    return Path(folder) / "gates" / generator_version


def write_outcome(folder: Path, generator_version: str, outcome: GateOutcome) -> Path:
    target = _gate_folder(folder, generator_version)
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{outcome.name}.json"
    path.write_text(json.dumps(asdict(outcome), indent=2, default=float))
    return path


def read_outcomes(folder: Path, generator_version: str) -> list[GateOutcome]:
    """Every verdict recorded for ``generator_version``, by gate name."""
    target = _gate_folder(folder, generator_version)
    if not target.is_dir():
        return []
    return [GateOutcome(**json.loads(path.read_text())) for path in sorted(target.glob("*.json"))]
