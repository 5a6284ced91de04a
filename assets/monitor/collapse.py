"""The model-collapse monitor of a dataset: what replacing real data would do, against accumulating it."""

import dagster as dg

from accrete.monitor.collapse import (
    SMALL_SETTINGS,
    collapse_figure,
    run_collapse_experiment,
    summarise_collapse,
)
from accrete.spec import DatasetSpec
from accrete.tables import DatasetTables
from accrete.warehouse import read_table
from assets.asset_keys import DatasetAssetKeys, Group
from assets.metadata import png_markdown
from resources import DuckDBWarehouse

PRIORITY_TAG = "dagster/priority"
MONITOR_PRIORITY = -1
"""Below every other step's (0): the monitor takes the gpu pool after the generator."""


def build_collapse_monitor_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    keys = DatasetAssetKeys(spec.name)
    tables = DatasetTables(spec.name)
    schema = spec.training_schema
    monitor = spec.collapse_monitor

    @dg.asset(
        key=keys.collapse_monitor,
        deps=[keys.train, keys.holdout],
        group_name=Group.MONITOR,
        kinds={"pytorch" if spec.generator.backend == "autoregressive" else "sdv", "python"},
        pool="gpu",
        # evidence beside the release path: when both wait for the gpu pool, the generator (and with
        # it the synthetic table, its gates and the mix) goes first
        op_tags={PRIORITY_TAG: str(MONITOR_PRIORITY)},
        description=(
            f"Why {spec.name}'s synthetic rows are added to the real data and never replace it: "
            f"{monitor.generations} generations of train, sample, retrain on a {monitor.training_rows:,}-row "
            "sample, once with each generation learning only from the last one's output (replace) and once "
            "from all real rows plus every earlier generation (accumulate), judged on the real holdout."
        ),
    )
    def collapse_monitor(
        context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse
    ) -> dg.MaterializeResult:
        """Evidence, on this dataset, that accumulating real data keeps generators from collapsing."""
        with warehouse.connect(read_only=True) as connection:
            train = read_table(connection, tables.train, schema.names)
            holdout = read_table(connection, tables.holdout, schema.names)
        train = train.sample(n=min(monitor.training_rows, len(train)), random_state=spec.generator.seed)
        holdout = holdout.sample(n=min(monitor.holdout_rows, len(holdout)), random_state=spec.generator.seed)
        settings = SMALL_SETTINGS if spec.generator.backend == "autoregressive" else None
        result = run_collapse_experiment(
            train.reset_index(drop=True),
            holdout.reset_index(drop=True),
            schema,
            generations=monitor.generations,
            backend=spec.generator.backend,
            settings=settings,
            seed=spec.generator.seed,
            rare_share=monitor.rare_share,
            progress=lambda row: context.log.info(f"{spec.name} collapse monitor: {row}"),
        )
        summary = summarise_collapse(result)
        return dg.MaterializeResult(
            metadata={
                "curves": png_markdown(collapse_figure(result)),
                "generations": dg.MetadataValue.md(result.round(4).to_markdown(index=False)),
                **{
                    f"last_vs_first/{key}": round(value, 4)
                    for key, value in summary.items()
                    if value == value
                },
                "training_rows": len(train),
            }
        )

    return collapse_monitor
