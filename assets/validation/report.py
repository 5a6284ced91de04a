"""The validation report of a dataset, published once its synthetic table passed every gate."""

import dagster as dg
import pandas as pd

from accrete.spec import DatasetSpec
from accrete.synthetic.sample import synthetic_generator_version
from accrete.tables import DatasetTables
from accrete.validation.gate_log import read_outcomes
from accrete.validation.report_html import outcomes_markdown
from accrete.warehouse import read_table
from assets.asset_keys import DatasetAssetKeys, Group
from resources import DuckDBWarehouse, ReportFolder


def read_synthetic(connection, spec: DatasetSpec) -> tuple[pd.DataFrame, str]:
    """The synthetic rows (training columns) and the generator version that made them."""
    tables = DatasetTables(spec.name)
    frame = read_table(connection, tables.synthetic, spec.training_schema.names)
    return frame, synthetic_generator_version(connection, tables.synthetic)


def build_validation_report_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    tables = DatasetTables(spec.name)
    keys = DatasetAssetKeys(spec.name)

    @dg.asset(
        key=keys.validation_report,
        deps=[keys.synthetic],
        group_name=Group.REPORT,
        kinds={"html"},
        pool="duckdb",
        description=(
            f"Why the synthetic {spec.name} rows are fit to use: the verdict of every gate (fidelity, "
            "detectability, utility on the real holdout, privacy, representation of sensitive groups) "
            "with the HTML report behind them."
        ),
    )
    def validation_report(warehouse: DuckDBWarehouse, reports: ReportFolder) -> dg.MaterializeResult:
        """The evidence a reviewer reads before synthetic rows are mixed or shared."""
        with warehouse.connect(read_only=True) as connection:
            version = synthetic_generator_version(connection, tables.synthetic)
        files = reports.for_dataset(spec.name)
        outcomes = read_outcomes(files, version)
        path = files.validation_report
        return dg.MaterializeResult(
            metadata={
                "summary": dg.MetadataValue.md(outcomes_markdown(outcomes)),
                "report": dg.MetadataValue.url(path.resolve().as_uri()),
                "report_path": dg.MetadataValue.path(str(path)),
                "generator_version": version,
                "gates_passed": sum(outcome.passed for outcome in outcomes),
                "gates_failed": sum(not outcome.passed for outcome in outcomes),
            }
        )

    return validation_report
