"""The data card of a dataset: the story of how its synthetic data was made."""

import dagster as dg
import duckdb

from accrete.ingest.quarantine import quarantined_count
from accrete.report.data_card import render_data_card
from accrete.report.report_layout import REAL_DATA_VERSION
from accrete.spec import DatasetSpec
from accrete.synthetic.sample import synthetic_generator_version
from accrete.tables import DatasetTables
from accrete.validation.gate_log import read_outcomes
from accrete.validation.parity import ParityGaps, parity_gap
from accrete.warehouse import read_table, row_count
from assets.asset_keys import DatasetAssetKeys, Group
from assets.automation import AFTER_VALIDATED_UPDATES
from resources import DuckDBWarehouse, ModelStoreResource, ReportFolder


def _parity_gaps(
    connection: duckdb.DuckDBPyConnection, spec: DatasetSpec, tables: DatasetTables
) -> ParityGaps | None:
    """The fairness target's parity gap in the real training and the synthetic rows (None without fairness)."""
    fairness = spec.synthetic.fairness
    if fairness is None:
        return None
    columns = [fairness.target, fairness.sensitive]
    real, synthetic = (read_table(connection, table, columns) for table in (tables.train, tables.synthetic))
    return ParityGaps(parity_gap(real, *columns), parity_gap(synthetic, *columns))


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
            parity_gaps = _parity_gaps(connection, spec, tables)
        stored = model_store.store().get(spec.name, version)
        files = reports.for_dataset(spec.name)
        outcomes = read_outcomes(files, REAL_DATA_VERSION) + read_outcomes(files, stored.version)
        card = render_data_card(
            spec, counts, stored.manifest, outcomes, str(files.validation_report), quarantined, parity_gaps
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
