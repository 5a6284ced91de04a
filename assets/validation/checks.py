"""Blocking asset checks on the clean real table and on the synthetic table.

Every check explains itself in its metadata: a one-sentence summary, the numbers, and a
markdown table of what failed. The synthetic table's gates are computed together in one
step (they share the same real and synthetic rows), which also writes the HTML report; a
failed gate stops the mix in the same run.
"""

import dagster as dg

from accrete.spec import DatasetSpec
from accrete.tables import DatasetTables
from accrete.validation.expectations import run_suite
from accrete.validation.gate_log import write_outcome
from accrete.validation.outcome import GateOutcome
from accrete.validation.suite import applicable_gates, validate_synthetic, write_validation_report
from accrete.warehouse import read_table
from assets.validation.report import REPORT_FILE, read_synthetic
from resources import DuckDBWarehouse, ReportFolder

REAL_DATA_VERSION = "real"


def check_result(
    outcome: GateOutcome,
    check_name: str | None = None,
    asset_key: dg.AssetKey | None = None,
    extra_metadata: dict[str, object] | None = None,
) -> dg.AssetCheckResult:
    """A gate's verdict as a blocking (ERROR) check result that explains itself."""
    metadata: dict[str, object] = {"summary": outcome.summary, **outcome.metrics, **(extra_metadata or {})}
    if outcome.details_md:
        metadata["details"] = dg.MetadataValue.md(outcome.details_md)
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        check_name=check_name,
        asset_key=asset_key,
    )


def build_checks(
    spec: DatasetSpec,
    clean_key: dg.AssetKey,
    synthetic_key: dg.AssetKey,
    train_key: dg.AssetKey,
    holdout_key: dg.AssetKey,
) -> list[dg.AssetChecksDefinition]:
    tables = DatasetTables(spec.name)
    columns = spec.training_schema.names
    gates = applicable_gates(spec)

    @dg.asset_check(
        asset=clean_key,
        name="spec_expectations",
        blocking=True,
        pool="duckdb",
        description=f"great-expectations suite from the {spec.name} spec on the cleaned real data.",
    )
    def clean_expectations(warehouse: DuckDBWarehouse, reports: ReportFolder) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as connection:
            frame = read_table(connection, tables.clean, columns)
        outcome = run_suite(frame, spec, min_rows=1, max_rows=None, label="clean")
        write_outcome(reports.dataset_folder(spec.name), REAL_DATA_VERSION, outcome)
        return check_result(outcome)

    @dg.asset_check(
        asset=synthetic_key,
        name="spec_expectations",
        blocking=True,
        pool="duckdb",
        description=f"great-expectations suite from the {spec.name} spec on the synthetic data.",
    )
    def synthetic_expectations(warehouse: DuckDBWarehouse, reports: ReportFolder) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as connection:
            frame, version = read_synthetic(connection, spec)
        rows = spec.synthetic.rows
        outcome = run_suite(frame, spec, min_rows=rows, max_rows=rows, label="synthetic")
        write_outcome(reports.dataset_folder(spec.name), version, outcome)
        return check_result(outcome)

    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(
                name=gate,
                asset=synthetic_key,
                blocking=True,
                additional_deps=[train_key, holdout_key],
                description=f"{gate.replace('_', ' ')} gate on the synthetic {spec.name} table, thresholds from its spec.",
            )
            for gate in gates
        ],
        name=f"{spec.name}_synthetic_gates",
        pool="duckdb",
    )
    def synthetic_gates(
        context: dg.AssetCheckExecutionContext, warehouse: DuckDBWarehouse, reports: ReportFolder
    ):
        """Fidelity, detection, utility, privacy and representation of the current synthetic rows."""
        with warehouse.connect(read_only=True) as connection:
            train = read_table(connection, tables.train, columns)
            holdout = read_table(connection, tables.holdout, columns)
            synthetic, version = read_synthetic(connection, spec)
            identifier_values = {
                column: read_table(connection, tables.raw, [column])[column].dropna().str.strip()
                for column in spec.identifier_columns
            }
        validation = validate_synthetic(spec, train, holdout, synthetic, identifier_values)
        folder = reports.dataset_folder(spec.name)
        report = write_validation_report(
            folder / REPORT_FILE,
            f"Validation of synthetic {spec.name} ({version})",
            spec,
            train,
            synthetic,
            validation,
        )
        context.log.info(f"{spec.name}: validation report written to {report}")
        for outcome in validation.outcomes:
            write_outcome(folder, version, outcome)
            yield check_result(
                outcome,
                check_name=outcome.name,
                asset_key=synthetic_key,
                extra_metadata={"report": dg.MetadataValue.path(str(report))},
            )

    return [clean_expectations, synthetic_expectations, synthetic_gates]
