"""The report folder resource: where data cards, validation reports and gate verdicts are written."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from accrete.report.report_layout import DatasetReports


class ReportFolder(dg.ConfigurableResource):
    """Root folder of human-readable outputs (layout: ``accrete.report.report_layout``)."""

    root: str

    def for_dataset(self, dataset: str) -> DatasetReports:
        """The report files of ``dataset``; its folder exists afterwards."""
        reports = DatasetReports(Path(self.root), dataset)
        reports.folder.mkdir(parents=True, exist_ok=True)
        return reports
