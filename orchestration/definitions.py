"""The one entry point of the Accrete code location.

For every dataset spec under ``datasets/`` the same asset graph is built by a factory; the
dbt models of all datasets form one dbt asset. Resources come from the environment
(``orchestration/environment.py``).
"""

from __future__ import annotations

import dagster as dg

from accrete.spec import load_specs
from assets.factory import build_dataset_definitions
from assets.transform.dbt_models import accrete_dbt_models
from orchestration import environment
from orchestration.executor import step_executor
from orchestration.jobs import all_assets_job
from resources import DuckDBWarehouse, LandingZone, ModelStoreResource, ReportFolder, dbt_cli_resource


def build_definitions() -> dg.Definitions:
    environment.export_for_subprocesses()
    assets: list = [accrete_dbt_models]
    checks: list = []
    for spec in load_specs(environment.datasets_dir()).values():
        dataset_assets, dataset_checks = build_dataset_definitions(spec, accrete_dbt_models)
        assets += dataset_assets
        checks += dataset_checks
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[all_assets_job],
        executor=step_executor,
        resources={
            "warehouse": DuckDBWarehouse(path=str(environment.warehouse_path())),
            "landing": LandingZone(root=str(environment.landing_root())),
            "model_store": ModelStoreResource(root=str(environment.models_root())),
            "reports": ReportFolder(root=str(environment.reports_root())),
            "dbt": dbt_cli_resource(),
        },
    )


defs = build_definitions()
