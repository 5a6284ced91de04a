"""The asset graph of one dataset, built from its spec.

raw_<name> -> dbt (stg_<name>, <name>_clean, <name>_real_accumulated, <name>_real_train /
<name>_real_holdout) -> <name>_generator -> <name>_synthetic (+ blocking checks, which write the
validation report) -> <name>_validation_report, <name>_mixed -> <name>_data_card;
<name>_real_train / <name>_real_holdout -> <name>_collapse_monitor

A daily dataset (``partitions:`` in its spec) is split by day from raw to accumulated, and
has one more asset, ``<name>_drift``, which says when its generator is due for retraining.
"""

from __future__ import annotations

import dagster as dg

from accrete.spec import DatasetSpec
from accrete.tables import DatasetTables
from assets.generator.drift import build_drift_asset
from assets.generator.train import build_generator_asset, generator_asset_key
from assets.ingest.raw import build_raw_asset
from assets.mix.mixed import build_mixed_asset, mixed_asset_key
from assets.monitor.collapse import build_collapse_monitor_asset
from assets.report.data_card import build_data_card_asset
from assets.synthetic.sample import build_synthetic_asset, synthetic_asset_key
from assets.validation.checks import build_checks
from assets.validation.report import build_validation_report_asset, validation_report_key


def build_dataset_definitions(
    spec: DatasetSpec,
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    """Assets and checks of ``spec``'s dataset, wired to its dbt models (keyed by model name)."""
    tables = DatasetTables(spec.name)
    clean_key = dg.AssetKey(tables.clean_model)
    train_key = dg.AssetKey(tables.train_model)
    holdout_key = dg.AssetKey(tables.holdout_model)
    assets = [
        build_raw_asset(spec),
        build_generator_asset(spec, train_key),
        build_synthetic_asset(spec, generator_asset_key(spec), train_key),
        build_mixed_asset(spec, synthetic_asset_key(spec), train_key),
        build_validation_report_asset(spec, synthetic_asset_key(spec)),
        build_data_card_asset(spec, mixed_asset_key(spec), validation_report_key(spec)),
        build_collapse_monitor_asset(spec, train_key, holdout_key),
    ]
    if spec.partitions:
        assets.append(build_drift_asset(spec, train_key))
    checks = build_checks(spec, clean_key, synthetic_asset_key(spec), train_key, holdout_key)
    return assets, checks
