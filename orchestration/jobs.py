"""Jobs: the whole pipeline as `make run` materializes it, and each daily dataset's two halves.

- ``accrete_pipeline``: every asset that is not split by day, for every dataset.
- ``<name>_pipeline``: the same for one dataset (``make run DATASET=<name>``), e.g. while onboarding it.
- ``<name>_daily``: one day (or a range of days, as one run) of a daily dataset, from its
  landing file to the accumulated real table, then the split views and the retrain signal.
- ``<name>_generation``: train the generator, sample, validate, mix and document.
"""

from __future__ import annotations

import dagster as dg

from accrete.spec import DatasetSpec
from assets.asset_keys import DatasetAssetKeys
from assets.partitions import daily_partitions


def pipeline_job(specs: list[DatasetSpec]) -> dg.UnresolvedAssetJobDefinition:
    daily = [key for spec in specs if spec.partitions for key in DatasetAssetKeys(spec.name).daily]
    return dg.define_asset_job(
        name="accrete_pipeline",
        selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*daily),
        description="Ingest, clean, accumulate, train, sample, validate, mix and document every dataset "
        "(a daily dataset's days are loaded by its daily job).",
    )


def dataset_pipeline_job(spec: DatasetSpec) -> dg.UnresolvedAssetJobDefinition:
    keys = DatasetAssetKeys(spec.name)
    return dg.define_asset_job(
        name=f"{spec.name}_pipeline",
        selection=dg.AssetSelection.assets(keys.raw).downstream()
        - dg.AssetSelection.assets(*(keys.daily if spec.partitions else [])),
        description=f"Ingest, clean, accumulate, train, sample, validate, mix and document {spec.name} "
        "alone (a daily dataset's days are loaded by its daily job).",
    )


def daily_job(spec: DatasetSpec) -> dg.UnresolvedAssetJobDefinition:
    keys = DatasetAssetKeys(spec.name)
    return dg.define_asset_job(
        name=f"{spec.name}_daily",
        selection=dg.AssetSelection.assets(*keys.daily, keys.train, keys.holdout, keys.drift),
        partitions_def=daily_partitions(spec),
        description=f"Load days of {spec.name} into the accumulated real table, then check whether "
        "the generator is due for retraining.",
    )


def generation_job(spec: DatasetSpec) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        name=f"{spec.name}_generation",
        selection=dg.AssetSelection.assets(DatasetAssetKeys(spec.name).generator).downstream(),
        description=f"A new {spec.name} generation: train, sample, validate, mix and document.",
    )
