"""Dagster resources: the warehouse, landing zone, model store, report folder and dbt CLI."""

from resources.dbt import accrete_dbt_project, dbt_cli_resource
from resources.landing import LandingZone
from resources.model_store import ModelStoreResource
from resources.reports import ReportFolder
from resources.warehouse import DuckDBWarehouse

__all__ = [
    "DuckDBWarehouse",
    "LandingZone",
    "ModelStoreResource",
    "ReportFolder",
    "accrete_dbt_project",
    "dbt_cli_resource",
]
