"""Blocking asset checks on the clean real table and on the synthetic table.

Every check records its verdict in the report folder (for the data card) and explains
itself in its metadata: a one-sentence summary, the numbers, and a markdown table of what
failed.
"""

import dagster as dg
import pandas as pd

from accrete.gate_log import write_outcome
from accrete.spec import DatasetSpec
from accrete.tables import DatasetTables
from accrete.validation.expectations import run_suite
from accrete.validation.fidelity import fidelity_scores
from accrete.validation.outcome import GateOutcome
from accrete.warehouse import read_table
from resources import DuckDBWarehouse, ReportFolder

REAL_DATA_VERSION = "real"


def check_result(outcome: GateOutcome) -> dg.AssetCheckResult:
    metadata: dict[str, object] = {"summary": outcome.summary, **outcome.metrics}
    if outcome.details_md:
        metadata["details"] = dg.MetadataValue.md(outcome.details_md)
    return dg.AssetCheckResult(passed=outcome.passed, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata)


def fidelity_outcome(spec: DatasetSpec, real, synthetic) -> GateOutcome:
    """SDMetrics quality and diagnostic scores against the spec's thresholds."""
    gates = spec.gates
    scores = fidelity_scores(real, synthetic, spec.training_schema, max_rows=gates.fidelity_max_rows)
    passed = scores.quality >= gates.min_quality and scores.diagnostic >= gates.min_diagnostic
    verdict = "meets" if passed else "misses"
    summary = (
        f"Synthetic {spec.name} {verdict} the fidelity gate: quality {scores.quality:.3f} "
        f"(needs >= {gates.min_quality}), diagnostic {scores.diagnostic:.3f} (needs >= {gates.min_diagnostic})."
    )
    worst_columns = scores.column_details.head(5).to_markdown(index=False)
    worst_pairs = scores.pair_details.head(5).to_markdown(index=False)
    return GateOutcome(
        name="fidelity",
        passed=passed,
        summary=summary,
        metrics={
            "quality": round(scores.quality, 4),
            "column_shapes": round(scores.column_shapes, 4),
            "column_pair_trends": round(scores.column_pair_trends, 4),
            "diagnostic": round(scores.diagnostic, 4),
            "validity": round(scores.validity, 4),
            "structure": round(scores.structure, 4),
        },
        details_md=f"**Worst column shapes**\n\n{worst_columns}\n\n**Worst column pairs**\n\n{worst_pairs}",
    )


def build_checks(
    spec: DatasetSpec, clean_key: dg.AssetKey, synthetic_key: dg.AssetKey, train_key: dg.AssetKey
) -> list[dg.AssetChecksDefinition]:
    tables = DatasetTables(spec.name)
    columns = spec.training_schema.names

    def read_synthetic(connection) -> tuple[pd.DataFrame, str]:
        """The synthetic rows and the generator version that made them."""
        frame = read_table(connection, tables.synthetic, [*columns, "_generator_version"])
        versions = frame.pop("_generator_version").unique()
        return frame, (versions[0] if len(versions) else "none")

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
            frame, version = read_synthetic(connection)
        rows = spec.synthetic.rows
        outcome = run_suite(frame, spec, min_rows=rows, max_rows=rows, label="synthetic")
        write_outcome(reports.dataset_folder(spec.name), version, outcome)
        return check_result(outcome)

    @dg.asset_check(
        asset=synthetic_key,
        name="fidelity",
        blocking=True,
        pool="duckdb",
        additional_deps=[train_key],
        description=(
            f"SDMetrics quality (column shapes, pair trends) and diagnostic of synthetic vs real {spec.name} "
            f"training rows; gate: quality >= {spec.gates.min_quality}, diagnostic >= {spec.gates.min_diagnostic}."
        ),
    )
    def fidelity(warehouse: DuckDBWarehouse, reports: ReportFolder) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as connection:
            real = read_table(connection, tables.train, columns)
            synthetic, version = read_synthetic(connection)
        outcome = fidelity_outcome(spec, real, synthetic)
        write_outcome(reports.dataset_folder(spec.name), version, outcome)
        return check_result(outcome)

    return [clean_expectations, synthetic_expectations, fidelity]
