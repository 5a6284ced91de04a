"""Dagster resources: the warehouse, landing zone, model store, report folder and dbt CLI."""

from resources.dbt_cli import accrete_dbt_project, dbt_cli_resource
from resources.duckdb_warehouse import DuckDBWarehouse
from resources.landing_zone import LandingZone
from resources.model_store_resource import ModelStoreResource
from resources.report_folder import ReportFolder

__all__ = [
    "DuckDBWarehouse",
    "LandingZone",
    "ModelStoreResource",
    "ReportFolder",
    "accrete_dbt_project",
    "dbt_cli_resource",
]
