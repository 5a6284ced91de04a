"""The mixed table of a dataset: all accumulated real training rows plus capped synthetic rows."""

import dagster as dg

from accrete.mix.mixed import keep_generation, mixed_table_sql, synthetic_rows_allowed
from accrete.spec import DatasetSpec
from accrete.synthetic.sample import synthetic_generator_version
from accrete.tables import MIXED_SCHEMA, DatasetTables
from accrete.validation.gate_log import read_outcomes
from accrete.validation.release_guard import release_problems
from accrete.warehouse import row_count, transaction
from assets.asset_keys import DatasetAssetKeys, Group
from assets.automation import AFTER_VALIDATED_UPDATES
from assets.metadata import column_lineage, table_metadata
from assets.mix.generations import generations_observation
from assets.partitions import daily_freshness_policy
from resources import DuckDBWarehouse, ReportFolder


def build_mixed_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    tables = DatasetTables(spec.name)
    keys = DatasetAssetKeys(spec.name)
    columns = spec.training_schema.names

    @dg.asset(
        key=keys.mixed,
        deps=[keys.synthetic, keys.train],
        group_name=Group.MIX,
        automation_condition=AFTER_VALIDATED_UPDATES,
        freshness_policy=daily_freshness_policy(spec),
        kinds={"duckdb", "python"},
        pool="duckdb",
        description=(
            f"Training data for {spec.name} models: every accumulated real training row plus rows of every "
            f"validated synthetic generation, at most {spec.mix.max_synthetic_share:.0%} synthetic; it grows "
            "with each real day and each generation, and each row says where it came from. The real "
            "holdout is kept out so it can still judge those models."
        ),
    )
    def mixed(
        context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, reports: ReportFolder
    ) -> dg.MaterializeResult:
        """More training data without losing the real data: synthetic rows are added, never substituted.

        A generation is kept only when every gate recorded a passing verdict for it, whoever
        started the step; otherwise nothing is written.
        """
        with warehouse.connect() as connection:
            version = synthetic_generator_version(connection, tables.synthetic)
            problems = release_problems(spec, read_outcomes(reports.for_dataset(spec.name), version))
            if problems:
                raise dg.Failure(
                    description=f"{spec.name}: synthetic generation {version} is not released, nothing "
                    "was mixed or kept: " + "; ".join(problems),
                    allow_retries=False,
                )
            real_rows = row_count(connection, tables.train)
            with transaction(connection):
                available = keep_generation(connection, tables.synthetic, tables.generations)
                allowed = synthetic_rows_allowed(real_rows, available, spec.mix.max_synthetic_share)
                connection.execute(f"create schema if not exists {MIXED_SCHEMA}")
                connection.execute(
                    f"create or replace table {tables.mixed} as "
                    + mixed_table_sql(tables.train, tables.generations, columns, allowed)
                )
            versions = [
                row[0]
                for row in connection.execute(
                    f"select distinct _generator_version from {tables.generations} order by all"
                ).fetchall()
            ]
            metadata = table_metadata(connection, tables.mixed)
        context.log.info(
            f"{spec.name}: mixed {real_rows:,} real rows with {allowed:,} of {available:,} synthetic rows "
            f"from {len(versions)} validated generation(s)"
        )
        context.log_event(generations_observation(spec, available, versions))
        return dg.MaterializeResult(
            metadata={
                **metadata,
                "dagster/column_lineage": column_lineage(columns, [keys.train, keys.synthetic]),
                "real_rows": real_rows,
                "synthetic_rows": allowed,
                "synthetic_generations": len(versions),
                "synthetic_share": round(allowed / max(real_rows + allowed, 1), 4),
            }
        )

    return mixed
