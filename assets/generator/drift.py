"""Whether a daily dataset's generator is due for retraining: new days, and how far they drift."""

import dagster as dg

from accrete.generator.drift import column_drift, columns_not_compared, retrain_decision
from accrete.generator.model_store import ModelStoreError
from accrete.spec import DatasetSpec
from accrete.tables import DatasetTables
from accrete.warehouse import read_table
from assets.asset_keys import DatasetAssetKeys, Group
from resources import DuckDBWarehouse, ModelStoreResource


def build_drift_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    keys = DatasetAssetKeys(spec.name)
    tables = DatasetTables(spec.name)
    schema = spec.training_schema
    policy = spec.generator.retrain

    @dg.asset(
        key=keys.drift,
        deps=[keys.train],
        group_name=Group.GENERATE,
        kinds={"duckdb", "python"},
        pool="duckdb",
        description=(
            f"How far the {spec.name} days the current generator has not learned differ from those it "
            f"has, and whether a retrain is due (every {policy.every_partitions} new days, or when a "
            f"column drifts by more than {policy.max_drift:g}; the columns that name the day and "
            "trend columns are not compared, datetimes by time of day). The retrain sensor acts on it."
        ),
    )
    def drift(
        context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, model_store: ModelStoreResource
    ) -> dg.MaterializeResult:
        """Is the generator still a faithful stand-in for the real data that has arrived since?"""
        try:
            learned_days = set(model_store.store().get(spec.name).manifest["training_batches"])
        except ModelStoreError:
            learned_days = None
        with warehouse.connect(read_only=True) as connection:
            rows = read_table(connection, tables.train, ["_batch", *schema.names])
        is_learned = rows["_batch"].isin(learned_days or set())
        new, learned = rows[~is_learned], rows[is_learned]
        new_days = sorted(new["_batch"].unique())
        not_compared = columns_not_compared(spec, rows)
        drift_by_column = (
            column_drift(learned, new, schema, not_compared) if len(learned) and len(new) else {}
        )
        decision = retrain_decision(learned_days is not None, len(new_days), drift_by_column, policy)
        context.log.info(f"{spec.name}: retrain {'due' if decision.due else 'not due'}: {decision.reason}")
        return dg.MaterializeResult(
            metadata={
                "retrain_due": decision.due,
                "reason": decision.reason,
                "new_days": len(new_days),
                "new_days_list": dg.MetadataValue.json(new_days),
                "max_drift": max(drift_by_column.values(), default=0.0),
                "drift_by_column": dg.MetadataValue.json(drift_by_column),
                # the day's own columns (one value per day) and trend: true columns
                "not_compared": dg.MetadataValue.json(sorted(not_compared)),
            }
        )

    return drift
