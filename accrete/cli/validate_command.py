"""``accrete validate``: every gate of a spec on any synthetic table, from any generator.

The same functions judge the pipeline's synthetic tables: the spec's great-expectations suite
(``spec_expectations``) and every gate of the registry that applies to the spec. Verdicts go to
the terminal, and on request to a JSON file and the HTML report, written only once every verdict
is known.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from accrete.cli.atomic_files import write_text_atomically
from accrete.rules.reference_tables import ReferenceTableError, rule_reference_values
from accrete.spec import SpecError, load_spec
from accrete.table_files import TableFileError, read_training_table
from accrete.validation.expectations import SUITE_CHECK, run_suite
from accrete.validation.outcome import GateOutcome
from accrete.validation.suite import validate_synthetic, write_validation_report


def verdicts_document(outcomes: dict[str, GateOutcome]) -> dict:
    """The JSON verdicts: ``{"gates": {name: {"passed", "summary", "metrics", "ceilings"}}}``; a
    ceiling is the same score for real holdout rows, what a perfect generator would get."""
    return {
        "gates": {
            name: {
                "passed": outcome.passed,
                "summary": outcome.summary,
                "metrics": outcome.metrics,
                "ceilings": outcome.ceilings,
            }
            for name, outcome in outcomes.items()
        }
    }


FILE = click.Path(path_type=Path, dir_okay=False)


@click.command()
@click.option("--spec", "spec_path", type=FILE, required=True, help="The dataset spec (spec.yaml).")
@click.option(
    "--real",
    "real_path",
    type=FILE,
    required=True,
    help="Real rows the generator learned from (CSV or Parquet).",
)
@click.option(
    "--holdout", "holdout_path", type=FILE, required=True, help="Real rows the generator never saw."
)
@click.option("--synthetic", "synthetic_path", type=FILE, required=True, help="The synthetic rows to judge.")
@click.option("--json", "json_path", type=FILE, help="Write the verdicts as JSON here.")
@click.option("--html", "html_path", type=FILE, help="Write the HTML validation report here.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sampled scores.")
def validate(
    spec_path: Path,
    real_path: Path,
    holdout_path: Path,
    synthetic_path: Path,
    json_path: Path | None,
    html_path: Path | None,
    seed: int,
) -> None:
    """Judge a synthetic table by every gate its spec allows; exit 0 only when all pass."""
    try:
        spec = load_spec(spec_path)
        train, identifiers = read_training_table(real_path, spec)
        holdout, _ = read_training_table(holdout_path, spec, reference=train)
        synthetic, _ = read_training_table(synthetic_path, spec, reference=train)
        references = rule_reference_values(spec.rules, spec_path.parent)
    except (SpecError, TableFileError, ReferenceTableError) as error:
        raise click.UsageError(str(error)) from error
    identifier_values = {name: identifiers[name].dropna() for name in identifiers.columns}
    suite = run_suite(synthetic, spec, min_rows=1, max_rows=None, label="synthetic")
    validation = validate_synthetic(spec, train, holdout, synthetic, identifier_values, seed, references)
    outcomes = {SUITE_CHECK: suite} | {outcome.name: outcome for outcome in validation.outcomes}
    for name, outcome in outcomes.items():
        click.echo(f"{'PASS' if outcome.passed else 'FAIL'}  {name:<28} {outcome.summary}")
    if json_path:
        write_text_atomically(json_path, json.dumps(verdicts_document(outcomes), indent=2, default=float))
    if html_path:
        title = f"Validation of {synthetic_path.name} against the {spec.name} spec"
        write_validation_report(html_path, title, spec, train, synthetic, validation)
    failed = [name for name, outcome in outcomes.items() if not outcome.passed]
    click.echo(
        f"{len(outcomes) - len(failed)} of {len(outcomes)} gates passed"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    raise SystemExit(1 if failed else 0)
