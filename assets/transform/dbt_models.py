"""The datasets' dbt models (staging, clean, accumulated real, train/holdout split) as assets.

Models of datasets delivered in whole files form one dbt asset. A daily dataset's staging,
clean and accumulated models form their own, partitioned by day: a run of one day or of a
range of days passes the days to dbt in the environment, and each day's rows are replaced,
never added twice. The split views of every dataset stay in the first asset (they read all days).
"""

import os

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from accrete.spec import DatasetSpec
from accrete.tables import CLEAN_SCHEMA, REAL_SCHEMA, STAGING_SCHEMA
from accrete.transform.dbt_models import DAILY_TAG, PARTITION_END, PARTITION_START, RAW_SOURCE, dataset_tag
from assets.asset_keys import DatasetAssetKeys, Group
from assets.partitions import partitioned_options
from resources.dbt_cli import accrete_dbt_project

DBT_PROJECT = accrete_dbt_project()
if not DBT_PROJECT.manifest_path.exists():
    raise FileNotFoundError(
        f"dbt manifest not found at {DBT_PROJECT.manifest_path}: run `make dbt-manifest` "
        "(writes the models from the dataset specs and runs `dbt parse`)"
    )


GROUP_OF_SCHEMA = {STAGING_SCHEMA: Group.CLEAN, CLEAN_SCHEMA: Group.CLEAN, REAL_SCHEMA: Group.REAL}
"""The stage group of the models in each dbt schema."""


class AccreteDbtTranslator(DagsterDbtTranslator):
    """The dbt project in the asset graph: models keyed by their name alone (stg_adult, adult_clean,
    ...) like the Python assets and grouped by the stage their schema holds; a table of the raw
    source is the ingestion asset of its dataset, so lineage runs from landing files to the models."""

    def get_asset_key(self, dbt_resource_props) -> dg.AssetKey:
        kind, name = dbt_resource_props["resource_type"], dbt_resource_props["name"]
        if kind == "model":
            return dg.AssetKey(name)
        if kind == "source" and dbt_resource_props["source_name"] == RAW_SOURCE:
            return DatasetAssetKeys(name).raw
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props) -> str | None:
        schema = dbt_resource_props.get("config", {}).get("schema")
        return GROUP_OF_SCHEMA.get(schema) or super().get_group_name(dbt_resource_props)


DBT_ASSET_OPTIONS = {
    "manifest": DBT_PROJECT.manifest_path,
    "project": DBT_PROJECT,
    "dagster_dbt_translator": AccreteDbtTranslator(),
    "pool": "duckdb",
}
"""What every dbt asset shares: the project, asset keys by model name, and the one-writer DuckDB pool."""


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, arguments: list[str]):
    yield from (
        dbt.cli(["build", *arguments], context=context).stream().fetch_row_counts().fetch_column_metadata()
    )


def build_dbt_assets(specs: list[DatasetSpec]) -> list[dg.AssetsDefinition]:
    """One dbt asset for every whole-file model, and one per daily dataset for its daily models."""

    @dbt_assets(
        select=" ".join(f"tag:{dataset_tag(spec.name)}" for spec in specs),
        exclude=f"tag:{DAILY_TAG}",
        name="accrete_dbt_models",
        **DBT_ASSET_OPTIONS,
    )
    def accrete_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        """Real data made usable: typed and trimmed (staging), rule-checked and imputed with flags
        (clean), accumulated batch by batch without ever dropping one (real), and split into the
        rows generators may learn from and a fixed holdout they never see."""
        yield from _build(context, dbt, [])

    return [accrete_dbt_models] + [_daily_dbt_assets(spec) for spec in specs if spec.partitions]


def _daily_dbt_assets(spec: DatasetSpec) -> dg.AssetsDefinition:
    @dbt_assets(
        select=f"tag:{dataset_tag(spec.name)},tag:{DAILY_TAG}",
        name=f"{spec.name}_daily_dbt_models",
        **DBT_ASSET_OPTIONS,
        **partitioned_options(spec),
    )
    def daily_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        """Each day of real data made usable: typed, rule-checked, imputed within its day, and
        accumulated; re-running a day replaces that day's rows."""
        days = context.partition_key_range
        os.environ[PARTITION_START], os.environ[PARTITION_END] = days.start, days.end
        yield from _build(context, dbt, [])

    return daily_dbt_models
