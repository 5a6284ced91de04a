"""The one entry point of the Accrete code location.

For every dataset spec under ``datasets/`` the same asset graph is built by a factory, with
the dataset's own dbt asset (plus one for the days of a daily dataset), so a failure in one
dataset never stops another's. A daily dataset also gets its
jobs, sensors and schedule. Resources come from the environment (``orchestration/environment.py``).
"""

from __future__ import annotations

import dagster as dg

from accrete.rules.reference_tables import rule_reference_values
from accrete.spec import load_specs
from assets.factory import build_dataset_definitions
from assets.transform.dbt_models import build_dbt_assets
from orchestration import environment
from orchestration.executor import step_executor
from orchestration.jobs import daily_job, dataset_pipeline_job, generation_job, pipeline_job
from orchestration.sensors import daily_schedule, landing_sensor, retrain_sensor
from resources import (
    DuckDBWarehouse,
    LandingZone,
    ModelStoreResource,
    ReportFolder,
    accrete_dbt_project,
    dbt_cli_resource,
)


def build_definitions() -> dg.Definitions:
    environment.export_for_subprocesses()
    specs = list(load_specs(environment.datasets_dir()).values())
    dbt_project = accrete_dbt_project(environment.dbt_project_dir())
    dbt_assets = build_dbt_assets(specs, dbt_project)
    assets: list = list(dbt_assets)
    checks: list = []
    jobs: list = [pipeline_job(specs)]
    sensors: list = [
        dg.AutomationConditionSensorDefinition(
            "accrete_automation",
            target=dg.AssetSelection.all(),
            default_status=dg.DefaultSensorStatus.RUNNING,
            description="Refreshes the mixed tables and data cards after new real days or generations.",
        )
    ]
    schedules: list = []
    for spec in specs:
        references = rule_reference_values(spec.rules, environment.datasets_dir() / spec.name)
        dataset_assets, dataset_checks = build_dataset_definitions(spec, references)
        assets += dataset_assets
        checks += dataset_checks
        jobs.append(dataset_pipeline_job(spec))
        if spec.partitions:
            days, generation = daily_job(spec), generation_job(spec)
            jobs += [days, generation]
            sensors += [landing_sensor(spec, days), retrain_sensor(spec, generation)]
            schedules.append(daily_schedule(days))
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=jobs,
        sensors=sensors,
        schedules=schedules,
        executor=step_executor,
        resources={
            "warehouse": DuckDBWarehouse(path=str(environment.warehouse_path())),
            "landing": LandingZone(root=str(environment.landing_root())),
            "model_store": ModelStoreResource(root=str(environment.models_root())),
            "reports": ReportFolder(root=str(environment.reports_root())),
            "dbt": dbt_cli_resource(dbt_project, environment.dbt_artifacts_dir()),
        },
    )


defs = build_definitions()
