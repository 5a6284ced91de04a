"""The datasets' dbt models (staging, clean, accumulated real, train/holdout split) as assets.

Each dataset's models form its own dbt asset, so a dataset whose models fail never stops
another's. A daily dataset's staging, clean and accumulated models form a second one,
partitioned by day: a run of one day or of a range of days passes the days to dbt in the
environment, and each day's rows are replaced, never added twice; its split views stay in the
first (they read all days). A dataset's reference tables are dbt sources read from their files:
external assets upstream of the clean table, which no step builds.
"""

import os

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtCliRuntimeError, DagsterDbtTranslator, DbtProject, dbt_assets

from accrete.spec import DatasetSpec
from accrete.tables import CLEAN_SCHEMA, REAL_SCHEMA, STAGING_SCHEMA
from accrete.transform.dbt_models import DAILY_TAG, PARTITION_END, PARTITION_START, RAW_SOURCE, dataset_tag
from assets.asset_keys import DatasetAssetKeys, Group
from assets.metadata import table_shape
from assets.partitions import daily_freshness_policy, partitioned_options
from resources import DuckDBWarehouse
from resources.dbt_cli import AccreteDbtCli

GROUP_OF_SCHEMA = {STAGING_SCHEMA: Group.CLEAN, CLEAN_SCHEMA: Group.CLEAN, REAL_SCHEMA: Group.REAL}
"""The stage group of the models in each dbt schema."""


class AccreteDbtTranslator(DagsterDbtTranslator):
    """The dbt project in the asset graph: models keyed by their name alone (stg_adult, adult_clean,
    ...) like the Python assets and grouped by the stage their schema holds; a table of the raw
    source is the ingestion asset of its dataset, so lineage runs from landing files to the models.
    A model depends on the sources its tests read (a reference rule's test on the clean table reads
    a reference table, ``DatasetAssetKeys.reference``): dagster-dbt would draw such a source as a
    dependency of the test's check only, and the graph would not show what the model is judged
    against."""

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        read = {
            self.get_asset_spec(manifest, source, project).key
            for source in _sources_read_by_tests(manifest, unique_id)
        }
        unlisted = read - {dep.asset_key for dep in spec.deps}
        return spec.merge_attributes(deps=sorted(unlisted, key=str)) if unlisted else spec

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


def _sources_read_by_tests(manifest: dict, unique_id: str) -> set[str]:
    """The sources that the tests of node ``unique_id`` read, by unique id."""
    tests = [
        child
        for child in manifest["child_map"].get(unique_id, [])
        if child.startswith("test.") and manifest["nodes"][child].get("attached_node") == unique_id
    ]
    return {
        parent for test in tests for parent in manifest["parent_map"][test] if parent.startswith("source.")
    }


def _dbt_asset_options(project: DbtProject) -> dict:
    """What every dbt asset shares: the project, asset keys by model name, the one-writer DuckDB pool
    and a retry."""
    if not project.manifest_path.exists():
        raise FileNotFoundError(
            f"dbt manifest not found at {project.manifest_path}: run `make dbt-manifest` "
            "(writes the models from the dataset specs and runs `dbt parse`)"
        )
    return {
        "manifest": project.manifest_path,
        "project": project,
        "dagster_dbt_translator": AccreteDbtTranslator(),
        "pool": "duckdb",
        # a killed or crashed build is safe to run again: each model commits on its own, and the
        # accumulated tables replace a batch's rows instead of adding them twice
        "retry_policy": dg.RetryPolicy(max_retries=1, delay=10),
    }


def _built_models(context: dg.AssetExecutionContext, dbt: AccreteDbtCli, warehouse: DuckDBWarehouse):
    """Build the selected models and tests; every table built reports its row count and column
    schema, read in one warehouse connection once dbt has exited (a view reports its schema only:
    counting the staging view would run its deduplication again).

    Not dagster-dbt's ``fetch_row_counts``/``fetch_column_metadata``: they start a dbt adapter
    connection per model, which took 6 of the credit step's 13 s (a plain ``dbt build`` takes
    5.6 s). dbt holds the warehouse file while it runs, so the events are held until it exits,
    then passed on in their order; after a failed model or test, what was built is still
    reported, then dbt's error fails the step."""
    invocation = dbt.build(context)
    events, failure = [], None
    try:
        events.extend(invocation.stream())
    except DagsterDbtCliRuntimeError as error:
        failure = error
    try:
        yield from _with_table_shapes(context, events, invocation.manifest["nodes"], warehouse)
    finally:
        if failure is not None:
            raise failure


def _with_table_shapes(
    context: dg.AssetExecutionContext, events: list, nodes: dict, warehouse: DuckDBWarehouse
):
    """``events`` with each built model's ``table_shape`` added; a model whose shape cannot be read
    is reported without it, with a warning."""
    built = [event for event in events if isinstance(event, dg.Output | dg.AssetMaterialization)]
    shapes: dict[str, dict] = {}
    if built:
        with warehouse.connect(read_only=True) as connection:
            for event in built:
                node = nodes[event.metadata["unique_id"].text]
                table = f"{node['schema']}.{node['alias']}"  # unquoted: spec names are plain identifiers
                try:
                    shape = table_shape(connection, table)
                except duckdb.Error as error:
                    context.log.warning(f"{table}: no row count or column schema ({error})")
                    continue
                if node["config"]["materialized"] == "view":
                    del shape["dagster/row_count"]
                shapes[node["unique_id"]] = shape
    for event in events:
        if isinstance(event, dg.Output | dg.AssetMaterialization):
            shape = shapes.get(event.metadata["unique_id"].text, {})
            event = event.with_metadata({**event.metadata, **shape})
        yield event


def build_dbt_assets(specs: list[DatasetSpec], project: DbtProject) -> list[dg.AssetsDefinition]:
    """Each dataset's dbt asset (a daily dataset's split views), plus one for a daily dataset's days.

    One asset per dataset, so that a dataset whose models fail never keeps another's from being built."""
    options = _dbt_asset_options(project)
    return [_dataset_dbt_assets(spec, options) for spec in specs] + [
        _daily_dbt_assets(spec, options) for spec in specs if spec.partitions
    ]


def _dataset_dbt_assets(spec: DatasetSpec, options: dict) -> dg.AssetsDefinition:
    @dbt_assets(
        select=f"tag:{dataset_tag(spec.name)}",
        exclude=f"tag:{DAILY_TAG}",
        name=f"{spec.name}_dbt_models",
        **options,
    )
    def dataset_dbt_models(context: dg.AssetExecutionContext, dbt: AccreteDbtCli, warehouse: DuckDBWarehouse):
        """Real data made usable: typed and trimmed (staging), rule-checked and imputed with flags
        (clean), accumulated batch by batch without ever dropping one (real), and split into the
        rows generators may learn from and a fixed holdout they never see."""
        yield from _built_models(context, dbt, warehouse)

    return dataset_dbt_models


def _daily_dbt_assets(spec: DatasetSpec, options: dict) -> dg.AssetsDefinition:
    @dbt_assets(
        select=f"tag:{dataset_tag(spec.name)},tag:{DAILY_TAG}",
        name=f"{spec.name}_daily_dbt_models",
        **options,
        **partitioned_options(spec),
    )
    def daily_dbt_models(context: dg.AssetExecutionContext, dbt: AccreteDbtCli, warehouse: DuckDBWarehouse):
        """Each day of real data made usable: typed, rule-checked, imputed within its day, and
        accumulated; re-running a day replaces that day's rows."""
        days = context.partition_key_range
        os.environ[PARTITION_START], os.environ[PARTITION_END] = days.start, days.end
        yield from _built_models(context, dbt, warehouse)

    accumulated, freshness = DatasetAssetKeys(spec.name).accumulated, daily_freshness_policy(spec)
    return daily_dbt_models.map_asset_specs(
        lambda asset: (
            asset.replace_attributes(freshness_policy=freshness) if asset.key == accumulated else asset
        )
    )
