"""Jobs: the whole pipeline as `make run` materializes it, and each daily dataset's two halves.

- ``accrete_pipeline``: every asset that is not split by day, for every dataset.
- ``<name>_daily``: one day (or a range of days, as one run) of a daily dataset, from its
  landing file to the accumulated real table, then the split views and the retrain signal.
- ``<name>_generation``: train the generator, sample, validate, mix and document.
"""

from __future__ import annotations

import dagster as dg

from accrete.spec import DatasetSpec
from accrete.tables import DatasetTables
from assets.generator.drift import drift_asset_key
from assets.generator.train import generator_asset_key
from assets.partitions import daily_asset_keys, daily_partitions


def pipeline_job(specs: list[DatasetSpec]) -> dg.UnresolvedAssetJobDefinition:
    daily = [key for spec in specs if spec.partitions for key in daily_asset_keys(spec)]
    return dg.define_asset_job(
        name="accrete_pipeline",
        selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*daily),
        description="Ingest, clean, accumulate, train, sample, validate, mix and document every dataset "
        "(a daily dataset's days are loaded by its daily job).",
    )


def daily_job(spec: DatasetSpec) -> dg.UnresolvedAssetJobDefinition:
    tables = DatasetTables(spec.name)
    after_days = [dg.AssetKey(tables.train_model), dg.AssetKey(tables.holdout_model), drift_asset_key(spec)]
    return dg.define_asset_job(
        name=f"{spec.name}_daily",
        selection=dg.AssetSelection.assets(*daily_asset_keys(spec), *after_days),
        partitions_def=daily_partitions(spec),
        description=f"Load days of {spec.name} into the accumulated real table, then check whether "
        "the generator is due for retraining.",
    )


def generation_job(spec: DatasetSpec) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        name=f"{spec.name}_generation",
        selection=dg.AssetSelection.assets(generator_asset_key(spec)).downstream(),
        description=f"A new {spec.name} generation: train, sample, validate, mix and document.",
    )
