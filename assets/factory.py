"""The asset graph of one dataset, built from its spec.

raw_<name> -> dbt (stg_<name>, <name>_clean, <name>_real_accumulated, <name>_real_train /
<name>_real_holdout) -> <name>_generator -> <name>_synthetic (+ blocking checks, which write the
validation report) -> <name>_validation_report, <name>_mixed -> <name>_data_card;
<name>_generations (kept by <name>_mixed) -> <name>_generator;
<name>_real_train / <name>_real_holdout -> <name>_collapse_monitor

A daily dataset (``partitions:`` in its spec) is split by day from raw to accumulated, and
has one more asset, ``<name>_drift``, which says when its generator is due for retraining.
Every key comes from ``assets.asset_keys``.
"""

from __future__ import annotations

import dagster as dg

from accrete.spec import DatasetSpec
from assets.generator.drift import build_drift_asset
from assets.generator.train import build_generator_asset
from assets.ingest.raw import build_raw_asset
from assets.mix.generations import generations_asset_spec
from assets.mix.mixed import build_mixed_asset
from assets.monitor.collapse import build_collapse_monitor_asset
from assets.report.data_card import build_data_card_asset
from assets.synthetic.sample import build_synthetic_asset
from assets.validation.checks import build_checks
from assets.validation.report import build_validation_report_asset


def build_dataset_definitions(
    spec: DatasetSpec, reference_values: dict[str, set[str]]
) -> tuple[list[dg.AssetsDefinition | dg.AssetSpec], list[dg.AssetChecksDefinition]]:
    """Assets and checks of ``spec``'s dataset, wired to its dbt models (keyed by model name);
    ``reference_values``: per reference rule of the spec, the values its reference table allows."""
    assets = [
        build_raw_asset(spec),
        build_generator_asset(spec),
        build_synthetic_asset(spec),
        build_mixed_asset(spec),
        generations_asset_spec(spec),
        build_validation_report_asset(spec),
        build_data_card_asset(spec),
        build_collapse_monitor_asset(spec),
    ]
    if spec.partitions:
        assets.append(build_drift_asset(spec))
    return assets, build_checks(spec, reference_values)
