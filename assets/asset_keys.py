"""Every asset key of a dataset, and the stage group each asset is drawn in.

The one place where the library's tables (``accrete.tables``) become Dagster names: dbt models
are keyed by their model name, Python assets by what they hold. Asset code, jobs and sensors
take their keys from here, so a renamed key is renamed everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from accrete.tables import DatasetTables


class Group:
    """The stage groups of the asset graph, in pipeline order."""

    INGEST = "ingest"
    CLEAN = "clean"
    REAL = "real"
    GENERATE = "generate"
    SYNTHESIZE = "synthesize"
    MIX = "mix"
    REPORT = "report"
    MONITOR = "monitor"


@dataclass(frozen=True)
class DatasetAssetKeys:
    """The asset keys of one dataset, from landing to data card."""

    dataset: str

    @property
    def tables(self) -> DatasetTables:
        return DatasetTables(self.dataset)

    @property
    def raw(self) -> dg.AssetKey:
        return dg.AssetKey(f"raw_{self.dataset}")

    @property
    def staged(self) -> dg.AssetKey:
        return dg.AssetKey(self.tables.staged_model)

    @property
    def clean(self) -> dg.AssetKey:
        return dg.AssetKey(self.tables.clean_model)

    @property
    def accumulated(self) -> dg.AssetKey:
        return dg.AssetKey(self.tables.accumulated_model)

    @property
    def train(self) -> dg.AssetKey:
        return dg.AssetKey(self.tables.train_model)

    @property
    def holdout(self) -> dg.AssetKey:
        return dg.AssetKey(self.tables.holdout_model)

    def reference(self, table: str) -> dg.AssetKey:
        """Reference table ``table``, a table of the dataset's dbt source of reference tables, keyed as
        dagster-dbt keys a source table, by source and table name (``flights_reference/airports``):
        an external asset, read from its file, that no step builds."""
        return dg.AssetKey([self.tables.reference_source, table])

    @property
    def generator(self) -> dg.AssetKey:
        return dg.AssetKey(f"{self.dataset}_generator")

    @property
    def drift(self) -> dg.AssetKey:
        return dg.AssetKey(f"{self.dataset}_drift")

    @property
    def synthetic(self) -> dg.AssetKey:
        return dg.AssetKey(f"{self.dataset}_synthetic")

    @property
    def generations(self) -> dg.AssetKey:
        return dg.AssetKey(f"{self.dataset}_generations")

    @property
    def validation_report(self) -> dg.AssetKey:
        return dg.AssetKey(f"{self.dataset}_validation_report")

    @property
    def mixed(self) -> dg.AssetKey:
        return dg.AssetKey(f"{self.dataset}_mixed")

    @property
    def data_card(self) -> dg.AssetKey:
        return dg.AssetKey(f"{self.dataset}_data_card")

    @property
    def collapse_monitor(self) -> dg.AssetKey:
        return dg.AssetKey(f"{self.dataset}_collapse_monitor")

    @property
    def daily(self) -> list[dg.AssetKey]:
        """The steps of a daily dataset that run per day: ingestion, staging, cleaning, accumulation."""
        return [self.raw, self.staged, self.clean, self.accumulated]
