"""The kept synthetic generations of a dataset: the feedback edge from one generation to the next.

The table is written by the mixed table's step (each validated generation is kept there, by
generator version, so re-running adds nothing) and read by the next generator when the spec
says ``training_data: real_and_synthetic``. Writing it from an asset downstream of the
generator and reading it in the generator would be a cycle in the asset graph, so it is an
external asset: the graph draws generations -> generator, and each step of the mixed table
records an observation of it (rows, generations, versions), shown on the asset's page.
"""

import dagster as dg

from accrete.spec import DatasetSpec
from accrete.tables import DatasetTables
from assets.asset_keys import DatasetAssetKeys, Group


def generations_asset_spec(spec: DatasetSpec) -> dg.AssetSpec:
    keys = DatasetAssetKeys(spec.name)
    table = DatasetTables(spec.name).generations
    return dg.AssetSpec(
        key=keys.generations,
        group_name=Group.MIX,
        kinds={"duckdb"},
        description=(
            f"Every synthetic {spec.name} generation that passed all gates ({table}), kept by "
            f"{keys.mixed.to_user_string()} and never dropped. A generator learns from it only under "
            f"training_data: real_and_synthetic (this spec: {spec.generator.training_data}), and never "
            "from it alone."
        ),
        metadata={"table": table, "written_by": keys.mixed.to_user_string()},
    )


def generations_observation(spec: DatasetSpec, rows: int, versions: list[str]) -> dg.AssetObservation:
    """What the mixed table's step reports about the kept generations after keeping one more."""
    return dg.AssetObservation(
        asset_key=DatasetAssetKeys(spec.name).generations,
        metadata={
            "dagster/row_count": rows,
            "generations": len(versions),
            "generator_versions": dg.MetadataValue.json(versions),
        },
    )
