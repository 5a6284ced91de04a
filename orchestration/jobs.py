"""Jobs: the whole pipeline for every dataset, as `make run` materializes it."""

from __future__ import annotations

import dagster as dg

all_assets_job = dg.define_asset_job(
    name="accrete_pipeline",
    selection=dg.AssetSelection.all(),
    description="Ingest, clean, accumulate, train, sample, validate, mix and document every dataset.",
)
