"""The mixed table of a dataset: all accumulated real training rows plus capped synthetic rows."""

import dagster as dg

from accrete.mix.mixed import keep_generation, mixed_table_sql, synthetic_rows_allowed
from accrete.spec import DatasetSpec
from accrete.tables import DatasetTables
from accrete.warehouse import row_count, transaction
from assets.automation import AFTER_VALIDATED_UPDATES
from assets.metadata import column_lineage, table_metadata
from resources import DuckDBWarehouse


def mixed_asset_key(spec: DatasetSpec) -> dg.AssetKey:
    return dg.AssetKey(f"{spec.name}_mixed")


def build_mixed_asset(
    spec: DatasetSpec, synthetic_key: dg.AssetKey, train_key: dg.AssetKey
) -> dg.AssetsDefinition:
    tables = DatasetTables(spec.name)
    columns = spec.training_schema.names

    @dg.asset(
        key=mixed_asset_key(spec),
        deps=[synthetic_key, train_key],
        group_name="mix",
        automation_condition=AFTER_VALIDATED_UPDATES,
        kinds={"duckdb", "python"},
        pool="duckdb",
        description=(
            f"Training data for {spec.name} models: every accumulated real training row plus rows of every "
            f"validated synthetic generation, at most {spec.mix.max_synthetic_share:.0%} synthetic; it grows "
            "with each real day and each generation, and each row says where it came from. The real "
            "holdout is kept out so it can still judge those models."
        ),
    )
    def mixed(context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse) -> dg.MaterializeResult:
        """More training data without losing the real data: synthetic rows are added, never substituted."""
        with warehouse.connect() as connection:
            real_rows = row_count(connection, tables.train)
            with transaction(connection):
                available = keep_generation(connection, tables.synthetic, tables.generations)
                allowed = synthetic_rows_allowed(real_rows, available, spec.mix.max_synthetic_share)
                connection.execute("create schema if not exists mixed")
                connection.execute(
                    f"create or replace table {tables.mixed} as "
                    + mixed_table_sql(tables.train, tables.generations, columns, allowed)
                )
            generations = connection.execute(
                f"select count(distinct _generator_version) from {tables.generations}"
            ).fetchall()[0][0]
            metadata = table_metadata(connection, tables.mixed)
        context.log.info(
            f"{spec.name}: mixed {real_rows:,} real rows with {allowed:,} of {available:,} synthetic rows "
            f"from {generations} validated generation(s)"
        )
        return dg.MaterializeResult(
            metadata={
                **metadata,
                "dagster/column_lineage": column_lineage(columns, [train_key, synthetic_key]),
                "real_rows": real_rows,
                "synthetic_rows": allowed,
                "synthetic_generations": generations,
                "synthetic_share": round(allowed / max(real_rows + allowed, 1), 4),
            }
        )

    return mixed
