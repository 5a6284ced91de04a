"""The report folder's layout: where each dataset's validation report, data card and gate verdicts live.

```
<reports root>/<dataset>/
    validation_report.html                 the HTML report of the latest validation
    data_card.md                           how the synthetic data was made
    gates/<generator version>/<gate>.json  one verdict per gate and generator version
    gates/real/great_expectations_clean.json  the expectations suite's verdict on the cleaned real table
```
Every path under the report root is built here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REAL_DATA_VERSION = "real"
"""The verdict folder of checks on the real data, which no generator version made."""


@dataclass(frozen=True)
class DatasetReports:
    """The report files of one dataset under a report root."""

    root: Path
    dataset: str

    @property
    def folder(self) -> Path:
        return Path(self.root) / self.dataset

    @property
    def validation_report(self) -> Path:
        return self.folder / "validation_report.html"

    @property
    def data_card(self) -> Path:
        return self.folder / "data_card.md"

    def gate_verdicts(self, generator_version: str) -> Path:
        """The folder of every gate verdict on the rows of ``generator_version``."""
        return self.folder / "gates" / generator_version

    def gate_verdict(self, generator_version: str, gate: str) -> Path:
        return self.gate_verdicts(generator_version) / f"{gate}.json"
