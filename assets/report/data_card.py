"""The data card of a dataset: the story of how its synthetic data was made."""

import dagster as dg

from accrete.ingest.quarantine import quarantined_count
from accrete.report.data_card import render_data_card
from accrete.report.report_layout import REAL_DATA_VERSION
from accrete.spec import DatasetSpec
from accrete.synthetic.sample import synthetic_generator_version
from accrete.tables import DatasetTables
from accrete.validation.gate_log import read_outcomes
from accrete.warehouse import row_count
from assets.asset_keys import DatasetAssetKeys, Group
from assets.automation import AFTER_VALIDATED_UPDATES
from resources import DuckDBWarehouse, ModelStoreResource, ReportFolder


def build_data_card_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    tables = DatasetTables(spec.name)
    keys = DatasetAssetKeys(spec.name)

    @dg.asset(
        key=keys.data_card,
        deps=[keys.mixed, keys.validation_report],
        group_name=Group.REPORT,
        automation_condition=AFTER_VALIDATED_UPDATES,
        kinds={"markdown"},
        pool="duckdb",
        description=(
            f"How the synthetic {spec.name} data was made: source and licence, rows in and out, the "
            "generator and its settings, gate verdicts and known limits."
        ),
    )
    def data_card(
        warehouse: DuckDBWarehouse, model_store: ModelStoreResource, reports: ReportFolder
    ) -> dg.MaterializeResult:
        """What a reviewer reads before approving the synthetic data for use."""
        with warehouse.connect(read_only=True) as connection:
            counts = {stage: row_count(connection, table) for stage, table in tables.stages().items()}
            quarantined = quarantined_count(connection, tables.quarantine)
            version = synthetic_generator_version(connection, tables.synthetic)
        stored = model_store.store().get(spec.name, version)
        files = reports.for_dataset(spec.name)
        outcomes = read_outcomes(files, REAL_DATA_VERSION) + read_outcomes(files, stored.version)
        card = render_data_card(
            spec, counts, stored.manifest, outcomes, str(files.validation_report), quarantined
        )
        files.data_card.write_text(card)
        return dg.MaterializeResult(
            metadata={
                "data_card": dg.MetadataValue.md(card),
                "path": dg.MetadataValue.path(str(files.data_card)),
                "generator_version": stored.version,
                "gates_passed": sum(outcome.passed for outcome in outcomes),
                "gates_failed": sum(not outcome.passed for outcome in outcomes),
                "rows_quarantined": quarantined,
            }
        )

    return data_card
