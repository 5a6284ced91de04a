"""All datasets' dbt models (staging, clean, accumulated real, train/holdout split) as assets."""

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from resources.dbt import accrete_dbt_project

DBT_PROJECT = accrete_dbt_project()
if not DBT_PROJECT.manifest_path.exists():
    raise FileNotFoundError(
        f"dbt manifest not found at {DBT_PROJECT.manifest_path}: run `make dbt-manifest` "
        "(writes the models from the dataset specs and runs `dbt parse`)"
    )


class AccreteDbtTranslator(DagsterDbtTranslator):
    """Models are keyed by their name alone (stg_adult, adult_clean, ...), like the Python assets."""

    def get_asset_key(self, dbt_resource_props) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=AccreteDbtTranslator(),
    pool="duckdb",
)
def accrete_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Real data made usable: typed and trimmed (staging), rule-checked and imputed with flags
    (clean), accumulated batch by batch without ever dropping one (real), and split into the
    rows generators may learn from and a fixed holdout they never see."""
    yield from dbt.cli(["build"], context=context).stream().fetch_row_counts().fetch_column_metadata()
