"""The synthetic table of a dataset: rows sampled from its latest generator, with provenance."""

import dagster as dg

from accrete.generator.base import GeneratorError
from accrete.spec import DatasetSpec
from accrete.synthetic.sample import sample_synthetic
from accrete.tables import DatasetTables
from accrete.warehouse import replace_table
from assets.asset_keys import DatasetAssetKeys, Group
from assets.metadata import column_lineage, table_metadata
from resources import DuckDBWarehouse, ModelStoreResource


def build_synthetic_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    keys = DatasetAssetKeys(spec.name)
    tables = DatasetTables(spec.name)
    schema = spec.training_schema

    @dg.asset(
        key=keys.synthetic,
        deps=[keys.generator],
        group_name=Group.SYNTHESIZE,
        kinds={"duckdb", "python"},
        pool="duckdb",
        description=(
            f"{spec.synthetic.rows:,} synthetic {spec.name} rows: statistically like the real data, "
            "about nobody; each row names the generator version and run that made it."
        ),
    )
    def synthetic(
        context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, model_store: ModelStoreResource
    ) -> dg.MaterializeResult:
        """Synthetic rows that downstream users may share and train on once every gate has passed."""
        store = model_store.store()
        stored = store.get(spec.name)
        backend = store.load(stored, schema)
        try:
            rows, redrawn = sample_synthetic(backend, stored, schema, spec.synthetic, context.run_id)
        except GeneratorError as error:
            raise dg.Failure(
                description=f"{spec.name}: the spec's sampling controls cannot be met: {error}",
                allow_retries=False,
            ) from error
        with warehouse.connect() as connection:
            replace_table(connection, tables.synthetic, rows)
            metadata = table_metadata(connection, tables.synthetic)
        context.log.info(f"{spec.name}: {len(rows):,} synthetic rows from generator {stored.version}")
        if redrawn:
            context.log.info(f"{spec.name}: rows drawn again to keep the rules: {redrawn}")
        return dg.MaterializeResult(
            metadata={
                **metadata,
                "dagster/column_lineage": column_lineage(schema.names, [keys.train]),
                "generator_version": stored.version,
                **({"rows_redrawn_for_rules": redrawn} if redrawn else {}),
            }
        )

    return synthetic
