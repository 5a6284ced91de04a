"""Blocking asset checks on the clean real table and on the synthetic table.

Every check explains itself in its metadata: a one-sentence summary, the numbers, and a
markdown table of what failed. The synthetic table's gates are computed together in one
step (they share the same real and synthetic rows), which also writes the HTML report; a
failed gate stops the mix in the same run.
"""

import dagster as dg

from accrete.report.report_layout import REAL_DATA_VERSION
from accrete.spec import DatasetSpec
from accrete.tables import DatasetTables
from accrete.validation.expectations import SUITE_CHECK, run_suite
from accrete.validation.gate_log import write_outcome
from accrete.validation.gates import applicable_gates
from accrete.validation.outcome import GateOutcome
from accrete.validation.suite import validate_synthetic, write_validation_report
from accrete.warehouse import read_table
from assets.asset_keys import DatasetAssetKeys
from assets.validation.report import read_synthetic
from resources import DuckDBWarehouse, ReportFolder


def check_result(
    outcome: GateOutcome,
    check_name: str | None = None,
    asset_key: dg.AssetKey | None = None,
    extra_metadata: dict[str, object] | None = None,
) -> dg.AssetCheckResult:
    """A gate's verdict as a blocking (ERROR) check result that explains itself.

    Each score with a ceiling (the same score for real holdout rows) gets it beside it as
    ``ceiling_<score>``.
    """
    ceilings = {f"ceiling_{name}": value for name, value in outcome.ceilings.items()}
    metadata: dict[str, object] = {
        "summary": outcome.summary,
        **outcome.metrics,
        **ceilings,
        **(extra_metadata or {}),
    }
    if outcome.details_md:
        metadata["details"] = dg.MetadataValue.md(outcome.details_md)
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        check_name=check_name,
        asset_key=asset_key,
    )


def build_checks(spec: DatasetSpec, reference_values: dict[str, set[str]]) -> list[dg.AssetChecksDefinition]:
    """The great-expectations suites on the clean and synthetic tables, and every applicable gate."""
    tables = DatasetTables(spec.name)
    keys = DatasetAssetKeys(spec.name)
    columns = spec.training_schema.names

    @dg.asset_check(
        asset=keys.clean,
        name=SUITE_CHECK,
        blocking=True,
        pool="duckdb",
        description=f"great-expectations suite from the {spec.name} spec on the cleaned real data.",
    )
    def clean_expectations(warehouse: DuckDBWarehouse, reports: ReportFolder) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as connection:
            frame = read_table(connection, tables.clean, columns)
        outcome = run_suite(frame, spec, min_rows=1, max_rows=None, label="clean")
        write_outcome(reports.for_dataset(spec.name), REAL_DATA_VERSION, outcome)
        return check_result(outcome)

    @dg.asset_check(
        asset=keys.synthetic,
        name=SUITE_CHECK,
        blocking=True,
        pool="duckdb",
        description=f"great-expectations suite from the {spec.name} spec on the synthetic data.",
    )
    def synthetic_expectations(warehouse: DuckDBWarehouse, reports: ReportFolder) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as connection:
            frame, version = read_synthetic(connection, spec)
        rows = spec.synthetic.rows
        outcome = run_suite(frame, spec, min_rows=rows, max_rows=rows, label="synthetic")
        write_outcome(reports.for_dataset(spec.name), version, outcome)
        return check_result(outcome)

    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(
                name=gate.name,
                asset=keys.synthetic,
                blocking=True,
                additional_deps=[keys.train, keys.holdout],
                description=f"{gate.question} A gate on the synthetic {spec.name} table, thresholds from its spec.",
            )
            for gate in applicable_gates(spec)
        ],
        name=f"{spec.name}_synthetic_gates",
        pool="duckdb",
    )
    def synthetic_gates(
        context: dg.AssetCheckExecutionContext, warehouse: DuckDBWarehouse, reports: ReportFolder
    ):
        """Fidelity, value ranges, detection, utility, privacy and representation of the current synthetic rows."""
        with warehouse.connect(read_only=True) as connection:
            train = read_table(connection, tables.train, columns)
            holdout = read_table(connection, tables.holdout, columns)
            synthetic, version = read_synthetic(connection, spec)
            identifier_values = {
                column: read_table(connection, tables.raw, [column])[column].dropna().str.strip()
                for column in spec.identifier_columns
            }
        validation = validate_synthetic(
            spec, train, holdout, synthetic, identifier_values, 0, reference_values
        )
        files = reports.for_dataset(spec.name)
        report = write_validation_report(
            files.validation_report,
            f"Validation of synthetic {spec.name} ({version})",
            spec,
            train,
            synthetic,
            validation,
        )
        context.log.info(f"{spec.name}: validation report written to {report}")
        for outcome in validation.outcomes:
            write_outcome(files, version, outcome)
            yield check_result(
                outcome,
                check_name=outcome.name,
                asset_key=keys.synthetic,
                extra_metadata={"report": dg.MetadataValue.path(str(report))},
            )

    return [clean_expectations, synthetic_expectations, synthetic_gates]
