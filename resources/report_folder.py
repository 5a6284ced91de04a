"""The report folder: data cards, validation reports and gate verdicts, per dataset."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


class ReportFolder(dg.ConfigurableResource):
    """Root folder of human-readable outputs; dataset ``<name>``'s go to ``<root>/<name>/``."""

    root: str

    def dataset_folder(self, dataset: str) -> Path:
        folder = Path(self.root) / dataset
        folder.mkdir(parents=True, exist_ok=True)
        return folder
